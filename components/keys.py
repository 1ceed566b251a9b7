"""Widget keys shared by the app and its tests."""

from __future__ import annotations

SOURCE_KIND = "picker.source_kind"
SAMPLE = "picker.sample"
FOLDER_PATH = "picker.folder_path"
UPLOAD = "picker.upload"
UPLOAD_KEPT = "picker.upload_kept"  # (name, file id) of the last archive opened
UPLOAD_HAD_FILE = "picker.upload_had_file"  # the uploader held a file on the last run
VERSION = "picker.version"
VERSION_SOURCE = "picker.version_source"  # the path the version was chosen for
TAG_SET = "picker.tag_set"
SIGNATURE = "picker.signature"
METHOD_NAME_CHECK = "picker.method_name_check"
ONEDNN_KERNELS = "picker.onednn_kernels"

SOURCE_SAMPLE = "Bundled sample"
SOURCE_FOLDER = "Folder on the server"
SOURCE_UPLOAD = "Upload .zip / .tar.gz"
SOURCE_KINDS = (SOURCE_SAMPLE, SOURCE_FOLDER, SOURCE_UPLOAD)
# The main page's fourth source (not the Compare page's): a TF Serving --model_config_file.
SOURCE_CONFIG = "TF Serving model config"
CONFIG_PATH = "picker.config_path"
CONFIG_ALLOW_LABELS = "picker.config_allow_labels"  # --allow_version_labels_for_unavailable_models
CONFIG_MODEL = "picker.config_model"
CONFIG_VERSION = "picker.config_version"  # + ".<model name>"

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
RUN_DEBUG_OPEN = "debug_open"  # the debugging expander: its content runs only when open
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
GRAPH_DRAWING = "graph.drawing"  # the clickable drawing (its last click)
GRAPH_PICKED = "graph.picked"  # (scope, op name, function, box id): the op clicked in the drawing
GRAPH_FOCUS = "graph.focus"  # (scope, box id, nonce): the box "go to" last centred
GRAPH_GOTO = "graph.goto"  # (function, op name) the safety banner asks the graph to show
GRAPH_CLICK_PROBLEM = "graph.click_problem"  # why the last click did nothing, shown once

# Looking inside a run (taps and the profile), per signature: "<key>.<model>.<tags>.<sig>".
INSPECT_TAPS = "inspect.taps"  # the op outputs the next local run also returns
INSPECT_TAPS_BOX = "inspect.taps_box"  # the Run tab's box showing (and editing) them
INSPECT_PROFILE = "inspect.profile"  # time every op of the next local run (a toggle)
INSPECT_TIMES = "inspect.times"  # the last profiled run's ms per op id (colours the graph)
INSPECT_VIEW = "inspect.view"  # + ".<n>": the view chosen for tapped value n
INSPECT_DRIFT = "inspect.drift"  # + ".<n>": the version tap n is compared with

# Demo features: presentation view, deep links, examples at hand.
PRESENTATION = "view.presentation"  # the sidebar toggle
RUN_AUTORUN = "autorun"  # run key + ".<api>": run once on the next draw (examples, links)
RUN_FORM_BODY = "form_body"  # run key + ".<api>": the form's last body, as REST text
RUN_FORM_REQUEST = "form_request"  # run key + ".<api>": the form's last CallRequest
RUN_FORM_TENSORS = "form_tensors"  # run key + ".<api>": the Predict form's values and pictures
RUN_FINGERPRINT = "fingerprint"  # outcome key + "." + this: the request the outcome ran
RUN_LABELS = "labels"  # run key + ".<output alias>": the labels file for top-k
RUN_TOP_K = "top_k"  # run key: how many classes the top-k view shows
PRESENTATION_BACK = "view.back"  # the presentation view's "Back to the full view" button
LINK_APPLIED = "link.applied"  # the page's query parameters were read (once per session)
LINK_PENDING = "link.pending"  # a link's method/inputs/run, waiting for the Run panel
LINK_INCLUDE_INPUTS = "link.include_inputs"
LINK_RUN_ON_OPEN = "link.run_on_open"
LINK_OPEN = "link.open"  # the "Link to this view" expander; its content runs only when open
EXAMPLES = "examples"  # + ".<n>": one example button
EXAMPLE_LOADED = "examples.loaded"  # the name of the example last loaded

# Compare page: one picker per side ("old", "new"), keys compare.<side>.<part>.
COMPARE_SOURCE = "source"  # Bundled sample / Folder on the server / Upload
COMPARE_SAMPLE = "sample"
COMPARE_FOLDER = "folder"
COMPARE_UPLOAD = "upload"
COMPARE_VERSION = "version"
COMPARE_TAGS = "compare.tags"
COMPARE_METHOD_NAME_CHECK = "compare.method_name_check"
COMPARE_REPORT = "compare.report"  # the CompatReport drawn last (not a widget)


def compare_key(side: str, part: str) -> str:
    """A Compare-page key: ``compare_key("old", COMPARE_VERSION)``."""
    return f"compare.{side}.{part}"


# Test cases: kept per TF Serving model name, keys cases.<part>.<model name>.
CASES = "list"  # tuple[TestCase, ...] (not a widget)
CASES_UPLOAD = "upload"
CASES_UPLOADED = "uploaded"  # file ids already merged (not a widget)
CASES_LOAD_BUNDLED = "load_bundled"
CASES_AUTOLOADED = "autoloaded"  # the bundled cases file was loaded once this session
CASES_REMOVE = "remove"
CASES_REMOVE_BUTTON = "remove_button"
CASES_VERSION = "version"
CASES_REPLAY = "replay"
CASES_REPORT = "report"  # the last ReplayReport (not a widget)
SAVE_CASE_NAME = "save_case_name"  # the run outcome's key + "." + this
SAVE_CASE_BUTTON = "save_case"  # the run outcome's key + "." + this


def cases_key(model_name: str, part: str) -> str:
    """A test-cases key: ``cases_key("flowers_tf1", CASES_REPLAY)``."""
    return f"cases.{part}.{model_name}"


MAIN_TAB = "main.tab"  # the open tab: only its content runs
MAIN_TAB_KEPT = "main.tab_kept"  # the open tab, kept while another page is shown
OPEN_MODEL = "explore.open_model"  # (folder, version, name) of the model open in Explore
REJECTIONS_OPEN = "signature.rejections_open"  # the expander of TF Serving's full messages


# Target: run signatures in this process or send them to a TF Serving (remote_panel).
TARGET_KIND = "target.kind"
TARGET_LOCAL = "In this process"
TARGET_SERVING = "TF Serving at HOST:PORT"
TARGET_KINDS = (TARGET_LOCAL, TARGET_SERVING)
REMOTE_URL = "target.url"
REMOTE_MODEL = "target.model"
REMOTE_VERSION = "target.version"  # a number (version) or a word (label); empty = latest
REMOTE_TIMEOUT = "target.timeout"
REMOTE_CA_CERT = "target.ca_cert"
REMOTE_CLIENT_CERT = "target.client_cert"
REMOTE_CLIENT_KEY = "target.client_key"
REMOTE_SERVER_NAME = "target.server_name"
REMOTE_COMPARE = "target.compare"  # also open a local model and compare the two
REMOTE_REFRESH = "target.refresh"  # ask the server for its metadata again
REMOTE_COMPARE_RUN = "remote_compare"  # run key + ".<api>": "Compare with TF Serving" button
REMOTE_COMPARE_OUTCOME = "remote_compare_outcome"  # run key + ".<api>" (not a widget)
REMOTE_COMPARE_RTOL = "target.compare_rtol"
REMOTE_COMPARE_ATOL = "target.compare_atol"
REMOTE_INSTANCE = "target.instance"  # the RemoteTarget kept across reruns (not a widget)
REMOTE_MAIN_TAB = "main.remote_tab"  # the open tab of a TF Serving target (Signatures/Run/Server)


# The warmup panel (Test cases tab): keys warmup.<part>.<model path>.
WARMUP_REPLAY = "replay"
WARMUP_REPLAYED = "replayed"  # the last WarmupReplay (not a widget)
WARMUP_ADD = "add"  # + ".<record>": add the record to the test cases
WARMUP_EXPORT = "export"  # download the test cases as a warmup file


def warmup_key(model_path: str, part: str) -> str:
    """A warmup-panel key: ``warmup_key(model.path, WARMUP_REPLAY)``."""
    return f"warmup.{part}.{model_path}"
