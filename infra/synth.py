"""``python -m infra.synth``: synthesize to cdk.out/ offline, without the CDK CLI.

Reads the same context as the CLI would from cdk.json (plus ``-c key=value`` arguments), so
``make synth`` and ``cdk synth`` produce the same assembly. The CDK library runs on Node.js
(jsii): without ``node`` its import dies with an unreadable error, so that is checked first.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_NEEDED = "Node.js 20+ is needed: the CDK library runs on it (https://nodejs.org/)."
# The CLI passes cdk.json's "assetMetadata" setting (default on) as this reserved context key;
# cdk.json may not hold the key itself.
ASSET_METADATA = "aws:cdk:enable-asset-metadata"


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context, plus the reserved keys the CLI derives from its settings."""
    settings = json.loads((REPO_ROOT / "cdk.json").read_text())
    context: dict[str, Any] = dict(settings.get("context", {}))
    context[ASSET_METADATA] = bool(settings.get("assetMetadata", True))
    return context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outdir", default=str(REPO_ROOT / "cdk.out"))
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    if shutil.which("node") is None:
        print(f"synth failed: {NODE_NEEDED}", file=sys.stderr)
        return 2
    from infra.app import build_app  # starts jsii, which starts node

    context = cdk_json_context()
    for pair in args.context:
        key, _, value = pair.partition("=")
        context[key] = value
    started = time.monotonic()
    try:
        assembly = build_app(outdir=args.outdir, context=context).synth()
    except ValueError as error:  # a context value out of range, named by its key (infra.context)
        print(f"synth failed: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # cdk-nag findings: CDK has printed the report already
        print(f"synth failed: {error}", file=sys.stderr)
        return 1
    for stack in assembly.stacks:
        print(f"{stack.stack_name}: {stack.template_full_path}")
    print(f"synthesized to {assembly.directory} in {time.monotonic() - started:.1f}s (cdk-nag: no findings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
