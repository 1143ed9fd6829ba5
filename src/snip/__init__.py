"""Snip's domain package: keys, links, validation, settings and the one DynamoDB access module.

It reaches each Lambda function as a symlink inside the function's deployable folder
(``functions/<name>/snip -> ../../src/snip``); see docs/architecture.md.
"""
