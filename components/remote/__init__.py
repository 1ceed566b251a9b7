"""A TF Serving as the target: the sidebar picker, cancellable calls, compare with it."""
