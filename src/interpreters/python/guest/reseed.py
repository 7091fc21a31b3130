# Reseeds Python-level PRNGs after a snapshot restore (the snapshot holds one shared state).

import random as _btp_random
_btp_random.seed()
del _btp_random
