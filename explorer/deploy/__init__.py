"""TF Serving's deployment files besides the SavedModel: the warmup requests
(``assets.extra/tf_serving_warmup_requests``) read, checked, replayed and written, and what a
``--model_config_file`` deploys (its served versions, checked the way TF Serving loads
them). Imports ``compat`` (test cases) and below; the model config itself is read in
``explorer.serving.model_config``."""
