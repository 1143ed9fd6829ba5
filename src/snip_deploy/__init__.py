"""What a Snip deployment is made of, read by the CDK app, the local stack, the benchmarks and the tests.

None of it ships in a Lambda asset: the functions read only ``snip`` (the runtime package). Each
fact lives in one module here: the functions (folder, handler, memory, timeout, concurrency, alarm
thresholds), the HTTP routes, the tables, the API's limits and the Powertools release.
"""
