"""A running TF Serving as a call target: its address, REST and gRPC transports, replies
and metadata; ``target.RemoteTarget`` implements the dispatcher's CallTarget. Imports
``run`` and below; independent of ``compat``."""
