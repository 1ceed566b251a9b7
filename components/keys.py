"""Widget keys shared by the app and its tests."""

from __future__ import annotations

SOURCE_KIND = "picker.source_kind"
SAMPLE = "picker.sample"
FOLDER_PATH = "picker.folder_path"
UPLOAD = "picker.upload"
VERSION = "picker.version"
TAG_SET = "picker.tag_set"
SIGNATURE = "picker.signature"
METHOD_NAME_CHECK = "picker.method_name_check"

SOURCE_SAMPLE = "Bundled sample"
SOURCE_FOLDER = "Folder on the server"
SOURCE_UPLOAD = "Upload .zip / .tar.gz"
SOURCE_KINDS = (SOURCE_SAMPLE, SOURCE_FOLDER, SOURCE_UPLOAD)

TRUSTED_MODELS = "safety.trusted_models"  # set of model ids the user opted in to run
TRUST_PREFIX = "safety.trust."

# Run panel: every key lives under run.<scope>. where the scope names model, version,
# tag-set and signature, so each signature keeps its own inputs and results.
RUN_API = "api"  # Classify / Regress / Predict
RUN_FORCE = "force"  # send to an API TF Serving rejects, to see its error
RUN_MODE = "mode"  # Form / REST JSON
RUN_REST_BODY = "rest_body"  # + ".<api>": the REST JSON text area
RUN_BUTTON = "run"
RUN_OUTPUT_FILTER = "output_filter"
RUN_EXTRA_FETCHES = "extra_fetches"
RUN_BODY_FORMAT = "body_format"  # instances (row) / inputs (columnar)
RUN_INPUT = "input"  # + ".<alias>.<part>": one predict input's editors
RUN_EXAMPLES = "examples"  # the example builder's table
RUN_CONTEXT = "context"  # its context table
RUN_CONTEXT_FEATURES = "context_features"
RUN_OUTCOME = "outcome"  # + ".<api>": the last call's request and response (not a widget)

MODE_FORM = "Form"
MODE_REST = "REST JSON"
FORMAT_ROW = "instances (row)"
FORMAT_COLUMNAR = "inputs (columnar)"


def run_key(scope: str, *parts: str) -> str:
    """A run-panel key: ``run_key(scope, RUN_INPUT, "images", "json")``."""
    return ".".join(("run", scope, *parts))


GRAPH_HIGHLIGHT = "graph.highlight"
GRAPH_BUDGET = "graph.budget"
GRAPH_EXPAND = "graph.expand"
GRAPH_COLLAPSE = "graph.collapse"
GRAPH_SEARCH = "graph.search"
GRAPH_NODE = "graph.node"
GRAPH_LAST_DOT = "graph.last_dot"  # the DOT last drawn, for tests and downloads
