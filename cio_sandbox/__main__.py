"""Command line: ``python -m cio_sandbox --host 127.0.0.1 --port 0 [options]``.

Prints exactly one stdout line, ``CIO_SANDBOX_URL=http://HOST:PORT``, once the server listens,
so a parent process (``cio_sandbox.testing``, the demo) can read the port picked for port 0.
Stops on SIGTERM or SIGINT, saving ``--state-file`` if one was given.
"""

import argparse
import asyncio
import sys
from pathlib import Path

from cio_sandbox import DEFAULT_API_KEY, DEFAULT_APP_API_KEY, DEFAULT_REGION, DEFAULT_SITE_ID
from cio_sandbox.config import add_config_arguments, config_from_arguments
from cio_sandbox.requestlog import DEFAULT_LOG_SIZE
from cio_sandbox.server import Credentials, Sandbox, serve


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cio_sandbox", description="Local Customer.io Track + App API sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--site-id", default=DEFAULT_SITE_ID, help="Track API site id")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="Track API key")
    parser.add_argument("--app-api-key", default=DEFAULT_APP_API_KEY, help="App API key")
    parser.add_argument("--region", choices=("us", "eu"), default=DEFAULT_REGION)
    parser.add_argument("--state-file", type=Path, help="load state from it, save it on exit")
    parser.add_argument("--request-log-size", type=int, default=DEFAULT_LOG_SIZE)
    add_config_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    try:
        config = config_from_arguments(args)
    except ValueError as error:
        sys.exit(f"cio_sandbox: {error}")
    sandbox = Sandbox(
        Credentials(args.site_id, args.api_key, args.app_api_key),
        config,
        args.region,
        args.request_log_size,
    )
    asyncio.run(
        serve(
            sandbox,
            args.host,
            args.port,
            args.state_file,
            lambda url: print(f"CIO_SANDBOX_URL={url}", flush=True),
        )
    )


if __name__ == "__main__":
    main()
