#!/usr/bin/env python3
"""Run moto's AWS emulator on 127.0.0.1 for the aws-runas test harness.

Usage: moto-server.py [PORT]

PORT defaults to 0, which lets the operating system pick a free port.
Once the server answers HTTP requests, one line `READY <port>` is printed on stdout.
The server exits as soon as its stdin reaches end-of-file, so a test process that dies
(and with it the pipe it holds to our stdin) never leaves a server behind.
Request logging is switched off; errors still go to stderr.
"""

import logging
import os
import sys
import urllib.request


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if port < 0 or port > 65535:
        print(f"moto-server.py: invalid port {port}", file=sys.stderr)
        return 2

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    # moto reads MOTO_PORT when it builds URLs that point back at itself.
    os.environ["MOTO_PORT"] = str(port)

    # Answering a request proves the server is up; the two calls also load the IAM and STS
    # backends now rather than during the first test.
    base = f"http://127.0.0.1:{port}"
    urllib.request.urlopen(f"{base}/moto-api/data.json", timeout=60).read()
    for service, body in (
        ("iam", b"Action=ListUsers&Version=2010-05-08"),
        ("sts", b"Action=GetCallerIdentity&Version=2011-06-15"),
    ):
        request = urllib.request.Request(
            f"{base}/",
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Authorization": (
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/"
                    f"us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
                ),
            },
        )
        urllib.request.urlopen(request, timeout=60).read()

    print(f"READY {port}", flush=True)

    # Block until the parent closes our stdin (or dies), then leave at once: the server
    # thread is a daemon and holds nothing that needs an orderly shutdown.
    while sys.stdin.buffer.read(65536):
        pass
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
