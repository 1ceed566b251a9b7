"""TF Serving's wire formats, both ways: REST JSON text (rapidjson's reading and writing),
JSON values ⇄ tensors, tf.Examples, TensorProtos, the request limits, gRPC messages and the
REST exchange as a client sees it. Pure data: imports ``safety`` and below, runs nothing."""
