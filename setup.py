"""What the wheel holds, beside pyproject.toml's metadata: the library and the app.

The repository keeps the app where its architecture puts it: ``app.py`` (the Streamlit
page) and ``components/`` at the root, the bundled models in ``sample_models/``. A wheel
must carry them too, so that ``pip install signature-explorer[app]`` then
``signature-explorer app`` works like ``pip install netron`` then ``netron``. They go in as
package data of one sub-package, ``explorer._app``, mapped onto the repository root here:

- one import name in site-packages (``explorer``): no top-level ``app``, ``components`` or
  ``sample_models`` to clash with another project's modules of those common names;
- the app's files stay data, not library modules: ``signature-explorer app`` runs
  ``explorer/_app/app.py`` with Streamlit, which puts that folder on ``sys.path``, so
  ``import components`` works inside the app and nowhere else;
- ``explorer.model.samples`` finds ``app.py`` and ``sample_models/`` in a checkout (beside
  the package) or installed (in ``explorer/_app/``), so every command works either way.

The two hot loops of REST JSON (a predict body's numbers in, a tensor's text out) are a C
extension, ``explorer.codec._speedups``, compiled from ``explorer/codec/_speedups_c/`` at
install (``pip install -e .`` builds it in place, a wheel carries it). Its floating-point
code must run IEEE double operations one at a time, as rapidjson and TF Serving's builds
do: no fused multiply-add (``-ffp-contract=off``), no ``-ffast-math``. Where it cannot be
built, the install goes on without it and the same answers come from numpy and pysimdjson
(``explorer.codec.speedups.AVAILABLE`` says which).

pyproject.toml cannot map a package onto another folder while also finding packages, hence
this file; everything else about the project is declared there.
"""

from setuptools import Extension, find_packages, setup
from setuptools.command.build_py import build_py


class _BuildPy(build_py):  # type: ignore[misc]
    """Of the repository root's modules, only the app's page belongs in ``explorer._app``
    (not this file)."""

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        found = super().find_package_modules(package, package_dir)
        return [m for m in found if package != "explorer._app" or m[1] == "app"]


_SPEEDUPS = "explorer/codec/_speedups_c/"
_SPEEDUPS_C = [
    "module.c",
    "powers.c",
    "predict_body.c",
    "tensor_text.c",
    "write_decimal.c",
    "write_numbers.c",
]

setup(
    ext_modules=[
        Extension(
            "explorer.codec._speedups",
            sources=[_SPEEDUPS + name for name in _SPEEDUPS_C],
            depends=[
                _SPEEDUPS + "speedups.h",
                _SPEEDUPS + "rapidjson_number.h",
                _SPEEDUPS + "tensor_text.h",
            ],
            extra_compile_args=[
                "-std=c11",
                "-O3",
                "-ffp-contract=off",
                "-fno-fast-math",
                "-pthread",
            ],
            extra_link_args=["-pthread"],
            optional=True,
        )
    ],
    cmdclass={"build_py": _BuildPy},
    packages=[*find_packages(include=["explorer", "explorer.*"]), "explorer._app"],
    package_dir={"explorer._app": "."},
    package_data={
        "explorer": ["py.typed"],
        "explorer.codec": ["_speedups.pyi"],
        "explorer.present.assets": ["*.js", "*.css", "*.html"],
        # The app's page is found as a module of the mapped root (app.py); its pieces and
        # the samples (models, build script, README, cases) as data.
        "explorer._app": [
            "components/**/*.py",
            "sample_models/**/*",
        ],
    },
    exclude_package_data={
        "explorer._app": ["**/__pycache__/*", "*.pyc"],
        "explorer.codec": ["_speedups_c/*"],  # the extension's sources: compiled in
    },
)
