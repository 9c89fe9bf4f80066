"""Local development server: the three Lambdas behind an emulated HTTP API, plus a CDN-like /media.

It exists so ``make run`` exercises the very handler functions deployed to AWS, fed with the
same API Gateway (payload 2.0) events, against files under ``.data`` or a real bucket.
"""
