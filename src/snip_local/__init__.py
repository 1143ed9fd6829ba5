"""Snip's local stack: the whole service on loopback, run the way AWS runs it.

``snip serve`` starts, in one foreground process:

* an AWS endpoint (``aws_endpoint``): moto's DynamoDB behind one lock, plus the Lambda Invoke API;
* the functions (``pool``): each one in separate worker processes, one request at a time each;
* keygen's schedule (``schedule``);
* the API Gateway stand-in (``gateway``): routes, API keys, throttling, quotas, proxy events.

``stack`` wires them together; ``cli`` is the ``snip`` command. Nothing here is deployed.
"""
