# Shared by scripts/test, scripts/demo and scripts/bench: a virtualenv at <repo>/.venv-moto with the
# pinned moto AWS emulator from scripts/requirements-moto.txt. Source it; then call install_moto.
# Expects nothing; defines repo, venv and the functions below.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-moto"
requirements="$repo/scripts/requirements-moto.txt"
stamp="$venv/.requirements-installed"
python="${PYTHON:-python3}"

say() { printf '==> %s\n' "$*" >&2; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        sudo "$@"
    fi
}

# Makes sure `$python -m venv` can create a virtualenv with pip in it.
# Debian splits venv and ensurepip out of python3 into the python3-venv package.
ensure_venv_module() {
    if "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        return
    fi
    say "$python has no working venv module; installing Debian's python3-venv"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
}

# Prints the moto version pinned in the requirements file.
pinned_moto_version() {
    sed -n 's/^moto\(\[[^]]*\]\)\{0,1\}==\([^ ;#]*\).*/\2/p' "$requirements" | head -n 1
}

# Succeeds when the venv already holds exactly what the requirements file asks for.
moto_is_current() {
    [ -x "$venv/bin/python" ] || return 1
    [ -f "$stamp" ] || return 1
    [ "$(cat "$stamp")" = "$(sha256sum "$requirements" | cut -d' ' -f1)" ] || return 1
    local installed
    installed="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" || return 1
    [ "$installed" = "$(pinned_moto_version)" ]
}

install_moto() {
    if moto_is_current; then
        say "moto $(pinned_moto_version) already installed in $venv"
        return
    fi
    if [ ! -x "$venv/bin/python" ]; then
        ensure_venv_module
        say "creating virtualenv $venv"
        rm -rf "$venv"
        "$python" -m venv "$venv"
    fi
    say "installing moto $(pinned_moto_version) into $venv"
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
        -r "$requirements"
    sha256sum "$requirements" | cut -d' ' -f1 >"$stamp"
}


# The web page's browser test (app/tests/serve.rs): Debian's chromium, and the pinned
# playwright-core from scripts/browser/package.json in scripts/browser/node_modules. Exports
# AWS_RUNAS_BROWSER_DIR when both are there; the test is skipped, saying why, when it is unset.
install_browser() {
    local dir="$repo/scripts/browser"
    if ! command -v chromium >/dev/null 2>&1; then
        say "installing chromium (the web page's browser test)"
        if ! { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends chromium; }; then
            say "chromium could not be installed: the browser test will be skipped"
            return 0
        fi
    fi
    if [ ! -d "$dir/node_modules/playwright-core" ]; then
        say "installing playwright-core (npm ci in scripts/browser)"
        if ! (cd "$dir" && npm ci --no-audit --no-fund); then
            say "playwright-core could not be installed: the browser test will be skipped"
            return 0
        fi
    fi
    export AWS_RUNAS_BROWSER_DIR="$dir"
}
