"""Runs moto's S3 server with its request handling serialised by one lock.

Why the lock: moto checks If-None-Match / If-Match on PutObject (and If-Match on DeleteObject)
and then writes, without a lock of its own. Under this lock that check-then-write is atomic, as
it is on real S3, so the create-only and compare-and-swap race tests are honest.

What the lock covers, and what it must not:
- Inside: moto's handling of one request, from dispatch to the fully built response body (and
  the response iterable's close(), which WSGI requires and `list()` alone never calls).
- Outside: all client I/O. The request body is read from the socket into memory *before* the
  lock is taken, and werkzeug writes the response after it is released. A client that stalls
  mid-upload, or reads its answer slowly, therefore delays only its own request; were the read
  inside the lock, one stalled upload would freeze every other client until it disconnected.

Output: werkzeug logs one line per request to stderr. A process writing to a pipe blocks once
the pipe is full, and the pipe drains only while the process that started the server reads it;
a starter that blocks its event loop (e.g. spawnSync of a benchmark) froze the server after
~270 requests, mid-logging. Access lines are therefore dropped (5xx answers and tracebacks are
still logged), and the setup sends server output to a file rather than a pipe (process.ts).

usage: python moto-serialised.py HOST PORT
"""
import io
import signal
import sys
import threading

from werkzeug.serving import run_simple
from werkzeug.wsgi import get_input_stream
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app


def serialised(app):
    lock = threading.Lock()

    def handle(environ, start_response):
        # Read the whole body first, outside the lock (bounded by Content-Length, or by the
        # chunked encoding's end when werkzeug sets wsgi.input_terminated).
        try:
            body = get_input_stream(environ).read()
        except Exception:  # the client went away mid-body: nothing to hand to moto
            start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return [b""]
        environ["wsgi.input"] = io.BytesIO(body)
        if "CONTENT_LENGTH" in environ:
            environ["CONTENT_LENGTH"] = str(len(body))
        with lock:
            iterable = app(environ, start_response)
            try:
                return [b"".join(iterable)]
            finally:
                close = getattr(iterable, "close", None)
                if close is not None:
                    close()

    return handle


class QuietRequestHandler(MotoRequestHandler):
    """moto's handler (it keeps header names with underscores) without one log line per request."""

    def log_request(self, code="-", size="-"):
        try:
            failed = int(code) >= 500
        except (TypeError, ValueError):
            failed = True
        if failed:
            super().log_request(code, size)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, serialised(app), threaded=True, request_handler=QuietRequestHandler)


if __name__ == "__main__":
    main()
