"""Stand-in TF Serving servers (REST and gRPC) over the explorer's own runner, for
``serve``, tests and demos. Imports ``remote`` and below."""
