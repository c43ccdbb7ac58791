"""The deployment recipe is coherent with the code (deploy/): what ``deploy/`` tells an IT
department to install and run exists, and nothing the settings read is missing from the example
environment. Plain file checks, no database."""

import ast
import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.stack

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEPLOY = BASE_DIR / "deploy"
SETTINGS = BASE_DIR / "mentoring_portal" / "settings.py"
# Where the units expect the checkout and the virtualenv (deploy/README.md).
APP_DIR, VENV_BIN = "/srv/mentoring/app", "/srv/mentoring/venv/bin"


def settings_environment() -> set[str]:
    """Every environment variable settings.py reads: os.environ.get/[...], env_bool(...), env_list(...)."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "attr", "") if isinstance(func, ast.Attribute) else ""
            if (called == "get" and owner == "environ") or called in ("env_bool", "env_list"):
                names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and getattr(node.value, "attr", "") == "environ":
            if isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
    return names


def example_environment() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values.setdefault(match.group(1), match.group(2))
    return values


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
    parser.read_string(text.replace("\\\n", " "))
    return parser


def test_env_example_lists_every_variable_the_settings_read():
    read = settings_environment()
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CONN_MAX_AGE", "STATIC_ROOT", "MEDIA_ROOT"} <= read
    missing = read - set(example_environment())
    assert not missing, f"deploy/env.example lacks {sorted(missing)}"


def test_env_example_is_production_and_matches_nginx():
    env = example_environment()
    assert env["DEBUG"] == "0"
    assert env["SECURE_SSL_REDIRECT"] == "1"
    assert env["CLIENT_IP_HEADER"] == "X-Real-IP"
    assert env["DATABASE_URL"].startswith("postgres://")
    nginx = (DEPLOY / "nginx" / "mentoring.conf").read_text(encoding="utf-8")
    assert "proxy_set_header X-Real-IP $remote_addr;" in nginx
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    # Uploads up to IMPORT_MAX_UPLOAD_BYTES must get through nginx.
    body = int(re.search(r"client_max_body_size (\d+)m;", nginx).group(1)) * 1024 * 1024
    assert body >= int(env["IMPORT_MAX_UPLOAD_BYTES"])
    assert f"alias {env['STATIC_ROOT'].rstrip('/')}/;" in nginx
    # HSTS comes from Django only: nginx must not add a second header.
    assert "Strict-Transport-Security" not in nginx


def test_units_start_commands_that_exist_in_this_checkout():
    """ExecStart of each unit names the venv's gunicorn/python and a module or command we ship."""
    from django.core.management import get_commands

    web = unit("mentoring-web.service")["Service"]
    args = shlex.split(web["ExecStart"])
    assert args[0] == f"{VENV_BIN}/gunicorn"
    module = args[1].split(":")[0]
    assert module == "mentoring_portal.wsgi"
    assert (BASE_DIR / (module.replace(".", "/") + ".py")).exists()
    assert "--timeout" in args and "--bind" in args
    bind = args[args.index("--bind") + 1]
    nginx = (DEPLOY / "nginx" / "mentoring.conf").read_text(encoding="utf-8")
    assert re.search(rf"server {re.escape(bind)}\b", nginx), "nginx's upstream is gunicorn's bind address"

    worker = unit("mentoring-worker@.service")["Service"]
    args = shlex.split(worker["ExecStart"])
    assert args[:3] == [f"{VENV_BIN}/python", "manage.py", "db_worker"]
    assert "db_worker" in get_commands()
    assert "--no-reload" in args and "%i" in args[args.index("--worker-id") + 1]

    backup = unit("mentoring-backup.service")["Service"]
    script = shlex.split(backup["ExecStart"])[0]
    assert script.startswith(APP_DIR + "/")
    local = BASE_DIR / script.removeprefix(APP_DIR + "/")
    assert local.exists() and local.stat().st_mode & 0o111, f"{local} is missing or not executable"
    assert unit("mentoring-backup.timer")["Timer"]["OnCalendar"]

    notify = unit("mentoring-notify.service")["Service"]
    assert shlex.split(notify["ExecStart"]) == [f"{VENV_BIN}/python", "manage.py", "send_notifications"]
    assert "send_notifications" in get_commands()
    assert unit("mentoring-notify.timer")["Timer"]["OnCalendar"]

    for name in (
        "mentoring-web.service",
        "mentoring-worker@.service",
        "mentoring-backup.service",
        "mentoring-notify.service",
    ):
        lines = (DEPLOY / "systemd" / name).read_text(encoding="utf-8").splitlines()
        assert "EnvironmentFile=/etc/mentoring/env" in lines
        assert "User=mentoring" in lines
        if name != "mentoring-backup.service":
            assert f"WorkingDirectory={APP_DIR}" in lines


@pytest.mark.parametrize("script", ["backup.sh", "restore.sh", "stack.sh"])
def test_shell_scripts_parse(script):
    path = DEPLOY / script
    assert path.stat().st_mode & 0o111
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)  # noqa: S603, S607
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_config(tmp_path):
    """nginx -t on a copy wrapped in a minimal main config, with a throwaway certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603, S607
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "mentoring.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/mentoring/fullchain.pem", str(cert)).replace(
        "/etc/ssl/mentoring/privkey.pem", str(key)
    )
    site = re.sub(r"/var/log/nginx/", f"{tmp_path}/", site)
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log {tmp_path}/access.log;\n"
        f" include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(["nginx", "-t", "-c", str(main)], capture_output=True, text=True)  # noqa: S603, S607
    assert result.returncode == 0, result.stderr
