"""Calls with TF Serving's semantics: the call API (``calls``), its steps around
``Session::Run`` (``steps``), the one dispatcher every caller uses (``dispatch``, with
``local``'s LocalTarget), results and templates, and ``runner``, the only module that
imports TensorFlow. Imports ``codec`` and below."""
