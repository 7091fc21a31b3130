"""Runs moto's S3 server with its request handling serialised by one lock, so that every request
is handled to completion before the next one starts. moto checks If-None-Match / If-Match and
then writes without a lock of its own; under this lock that check-then-write is atomic, as it is
on real S3. Connections are still served on threads (HTTP/1.1 keep-alive stays cheap).

usage: python moto-single-threaded.py HOST PORT
"""
import signal
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app


def serialised(app):
    lock = threading.Lock()

    def handle(environ, start_response):
        with lock:
            # Materialise the body inside the lock: the whole request is one atomic step.
            return list(app(environ, start_response))

    return handle


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, serialised(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
