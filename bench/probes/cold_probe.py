"""One cold start: import a handler from its deployable folder and serve one event.

Run as ``python -I -S cold.py FOLDER RUNTIME MODULE.FUNCTION EVENT_JSON OUT_JSON``: no site-packages,
no PYTHONPATH, only the function's folder and the Lambda runtime emulation (.lambda-runtime/) on the
path, as Lambda's Python runtime has. The clock starts on this script's first line; the parent also
times the whole process. Results go to OUT_JSON (stdout is the function's log stream).
"""

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402

folder, runtime, handler_ref, event_path, out_path = sys.argv[1:6]
sys.path[:0] = [folder, runtime]
with open(event_path) as source:
    event = json.load(source)


class Context:
    function_name = "snip-bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:snip-bench"
    aws_request_id = "bench-cold-start"
    log_group_name = "/aws/lambda/snip-bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self):
        return 10_000


def peak_rss_kb():
    """VmHWM: this process's peak resident set. (ru_maxrss is not used: on Linux a child keeps the
    forking parent's high-water mark across exec, so it would report the benchmark's own size.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


module_name, function_name = handler_ref.split(".")
handler = getattr(__import__(module_name), function_name)
IMPORTED = time.perf_counter()
result = handler(event, Context())
DONE = time.perf_counter()

with open(out_path, "w") as out:
    json.dump(
        {
            "import_s": IMPORTED - STARTED,
            "first_request_s": DONE - IMPORTED,
            "total_s": DONE - STARTED,
            "status": result.get("statusCode"),
            "peak_rss_kb": peak_rss_kb(),
            "modules": len(sys.modules),
            "xray_loaded": "aws_xray_sdk" in sys.modules,
            "pydantic_loaded": "pydantic" in sys.modules,
        },
        out,
    )
