# Modules imported in the clean isolate before its memory snapshot is taken (warm for every script).

import json, math, statistics, re, datetime, collections, itertools, functools, random, decimal, fractions
import string, textwrap, ast, copy, operator, heapq, bisect
import pyodide.code
