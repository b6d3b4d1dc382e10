"""The environment check: it passes here, and each kind of problem makes it fail with its fix."""

import importlib.metadata
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import torch

import vit_steps
from vit_steps import doctor
from vit_steps.doctor import Check

ROOT = Path(vit_steps.__file__).resolve().parents[1]
ITEMS = [
    "python",
    "torch build",
    "jupyter kernel",
    "imports",
    "grace hopper photo",
    "digits",
    "fashion-mnist subset",
    "checkpoint",
    "slide assets",
    "network",
]
SUMMARY = re.compile(r"^(\d+) checks, (\d+) failed$")


def pinned_names() -> list[str]:
    """The package names pinned in requirements.txt, read here without the doctor's parser."""
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("==")[0].strip() for line in lines if "==" in line and not line.startswith("#")]


def item_name(line: str) -> str:
    """The name at the start of a report line: the text before its run of dots."""
    return line.split(" ..")[0]


def test_doctor_passes_here(tmp_path):
    # From another folder: the doctor finds the repository from the package, not the cwd.
    proc = subprocess.run(
        [sys.executable, "-m", "vit_steps.doctor"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    *lines, summary = proc.stdout.splitlines()
    for line in lines:
        assert line.endswith("  OK"), line
    match = SUMMARY.match(summary)
    assert match, summary
    assert match.groups() == (str(len(lines)), "0")
    names = [item_name(line) for line in lines]
    for name in [*ITEMS, *pinned_names()]:
        assert name in names, f"{name} has no line in:\n{proc.stdout}"
    assert len(names) == len(set(names))


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_wrong_pin_fails_with_the_fix(tmp_path):
    installed = importlib.metadata.version("numpy")
    (check,) = doctor.check_requirements(write(tmp_path, "numpy==0.0.1\n"))
    assert (check.name, check.ok) == ("numpy", False)
    assert installed in check.detail and "0.0.1" in check.detail
    assert "pip install -r requirements.txt" in check.fix and "make lab" in check.fix
    line = doctor.format_report([check])[0]
    assert line.endswith("FAIL") and "fix: pip install -r requirements.txt" in line


def test_right_pin_passes_with_any_spelling_of_the_name(tmp_path):
    installed = importlib.metadata.version("scikit-learn")
    (check,) = doctor.check_requirements(write(tmp_path, f"Scikit_Learn=={installed}\n"))
    assert check.ok, check


def test_missing_package_fails(tmp_path):
    (check,) = doctor.check_requirements(write(tmp_path, "no-such-package-for-vit-steps==1.0\n"))
    assert not check.ok
    assert "not installed" in check.detail
    assert "pip install -r requirements.txt" in check.fix


@pytest.mark.parametrize(("installed", "ok"), [("2.13.0+cpu", True), ("2.13.0", True), ("2.12.0+cpu", False)])
def test_local_version_suffix_matches_its_pin(tmp_path, installed, ok):
    asked = []

    def version(name):
        asked.append(name)
        return installed

    (check,) = doctor.check_requirements(write(tmp_path, "torch==2.13.0\n"), version=version)
    assert asked == ["torch"]
    assert check.ok is ok


def test_read_pins_skips_what_is_not_a_pin_here(tmp_path):
    path = write(
        tmp_path,
        "\n".join(
            [
                "# a comment",
                "--index-url https://download.pytorch.org/whl/cpu",
                "-r other.txt",
                "first==1.0  # why this pin",
                'old-python-only==2.0; python_version < "3.0"',
                'this-python==3.0; python_version >= "3.0"',
                "hashed==4.0 --hash=sha256:0123",
                "",
                "-e .",
            ]
        ),
    )
    pins = doctor.read_pins(path)
    assert [p.name for p in pins] == ["first", "this-python", "hashed"]
    assert [str(p.specifier) for p in pins] == ["==1.0", "==3.0", "==4.0"]


def test_missing_requirements_file_is_one_fail(tmp_path):
    missing = tmp_path / "nowhere" / "requirements.txt"
    (check,) = doctor.check_requirements(missing)
    assert not check.ok
    assert str(missing) in check.detail
    assert "make lab" in check.fix


def test_main_exits_nonzero_on_a_wrong_pin(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(doctor, "requirements_path", lambda: write(tmp_path, "numpy==0.0.1\n"))
    assert doctor.main([]) == 1
    lines = capsys.readouterr().out.splitlines()
    (numpy_line,) = [line for line in lines if item_name(line) == "numpy"]
    assert numpy_line.endswith("FAIL") and "fix: pip install -r requirements.txt" in numpy_line
    assert SUMMARY.match(lines[-1]).group(2) == "1"


def test_main_exits_nonzero_without_requirements(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(doctor, "requirements_path", lambda: tmp_path / "requirements.txt")
    assert doctor.main([]) == 1
    (line,) = [line for line in capsys.readouterr().out.splitlines() if item_name(line) == "requirements.txt"]
    assert line.endswith("FAIL")


def test_main_exit_status_follows_the_checks(monkeypatch, capsys):
    passing = [Check("a", True, "fine"), Check("b", True, "fine")]
    monkeypatch.setattr(doctor, "run_checks", lambda: passing)
    assert doctor.main([]) == 0
    monkeypatch.setattr(doctor, "run_checks", lambda: [*passing, Check("c", False, "broken", "mend it")])
    assert doctor.main([]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "3 checks, 1 failed"


def test_python_below_the_minimum_fails():
    assert not doctor.check_python(version=(3, 10, 14), requires=">=3.11").ok
    assert doctor.check_python(version=(3, 11, 0), requires=">=3.11").ok
    assert doctor.check_python(version=(3, 13, 1), requires=">=3.11").ok


def test_a_cuda_build_is_never_a_fail(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    check = doctor.check_torch()
    assert check.ok and "CUDA 12.4" in check.detail and "no GPU" in check.detail
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU 9000")
    check = doctor.check_torch()
    assert check.ok and "Fake GPU 9000" in check.detail
    assert f"{torch.get_num_threads()} threads" in check.detail


class FakeKernels:
    """A KernelSpecManager with the given kernel names, each running ``argv0``."""

    def __init__(self, names, argv0="python"):
        self.names, self.argv0 = names, argv0

    def find_kernel_specs(self):
        return {name: f"/kernels/{name}" for name in self.names}

    def get_kernel_spec(self, name):
        if name not in self.names:
            raise KeyError(name)
        return type("Spec", (), {"argv": [self.argv0, "-m", "ipykernel_launcher"]})()


def test_missing_python3_kernel_fails_with_the_fix():
    check = doctor.check_kernel(FakeKernels(["ir", "julia-1.10"]))
    assert not check.ok
    assert "ir" in check.detail and "julia-1.10" in check.detail
    assert "python -m ipykernel install --user --name python3" in check.fix


def test_kernel_running_this_python_passes():
    assert doctor.check_kernel(FakeKernels(["python3"])).ok
    assert doctor.check_kernel(FakeKernels(["python3"], argv0=sys.executable)).ok


def test_kernel_with_a_missing_or_foreign_python_fails(tmp_path):
    missing = doctor.check_kernel(FakeKernels(["python3"], argv0=str(tmp_path / "gone" / "python")))
    assert not missing.ok and "does not exist" in missing.detail
    other = tmp_path / "other-env" / "bin" / "python"
    other.parent.mkdir(parents=True)
    other.write_text("")
    foreign = doctor.check_kernel(FakeKernels(["python3"], argv0=str(other)))
    assert not foreign.ok and "another environment" in foreign.detail
    assert "ipykernel install" in foreign.fix


def downloads():
    """A loader that fetches its data from the internet, through urllib."""
    urllib.request.urlopen("http://example.com", timeout=1).read()
    return Check("downloader", True, "downloaded")


def downloads_quietly():
    """A loader that tries the internet, swallows the error and passes with a local copy."""
    try:
        socket.create_connection(("example.com", 443), timeout=1)
    except OSError:
        pass
    return Check("quiet downloader", True, "used the local copy")


def raw_connect():
    """A loader that opens a socket itself."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        sock.connect(("127.0.0.1", 9))
    return Check("raw socket", True, "connected")


def offline():
    return Check("offline loader", True, "read a bundled file")


@pytest.mark.parametrize(
    ("loader", "address"),
    [(downloads, "example.com"), (downloads_quietly, "example.com"), (raw_connect, "127.0.0.1")],
)
def test_network_fails_when_a_loader_opens_a_socket(loader, address):
    first, second, network = doctor.run_offline([offline, loader])
    assert first.ok
    assert network.name == "network" and not network.ok
    assert address in network.detail
    if loader is not downloads_quietly:  # the others see the refusal as their own error
        assert not second.ok and "network blocked" in second.detail


def test_network_block_lets_local_unix_sockets_through(tmp_path):
    with doctor.block_network() as attempts, socket.socket(socket.AF_UNIX) as sock:
        with pytest.raises(FileNotFoundError):  # a real connect, to a socket file that isn't there
            sock.connect(str(tmp_path / "no.sock"))
    assert attempts == []


def test_network_block_is_undone():
    originals = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection)
    with pytest.raises(RuntimeError), doctor.block_network():
        assert socket.create_connection is not originals[2]
        raise RuntimeError("a check crashed")
    assert (socket.socket.connect, socket.socket.connect_ex, socket.create_connection) == originals


def test_network_is_ok_only_when_everything_ran_offline():
    *_, network = doctor.run_offline([offline, offline])
    assert network.ok
    broken = lambda: Check("broken loader", False, "file missing", "restore it")  # noqa: E731
    *_, network = doctor.run_offline([offline, broken])
    assert not network.ok and "broken loader" in network.detail


def test_checkpoint_missing_or_empty_fails(tmp_path):
    assert not doctor.check_checkpoint(tmp_path / "fashion_vit.pt").ok
    (tmp_path / "empty.pt").write_bytes(b"")
    check = doctor.check_checkpoint(tmp_path / "empty.pt")
    assert not check.ok and "make checkpoint" in check.fix


def test_report_lines_end_in_ok_or_fail_with_the_fix_before():
    checks = [
        Check("short", True, "fine"),
        Check("a longer name", False, "broken", "mend it"),
        Check("third", True, "also fine"),
    ]
    *lines, summary = doctor.format_report(checks)
    assert summary == "3 checks, 1 failed"
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["OK", "FAIL", "OK"]
    assert lines[1].index("broken; fix: mend it") < lines[1].index("FAIL")
    # One column for the names' ends and one for the status.
    assert len({line.index(" ", line.index("..")) for line in lines}) == 1
    assert len({len(line) - len(line.rsplit(" ", 1)[1]) for line in lines}) == 1


def test_a_check_that_crashes_is_a_fail_line():
    def check_exploding_loader():
        raise RuntimeError("boom")

    crashed, network = doctor.run_offline([check_exploding_loader])
    assert (crashed.name, crashed.ok) == ("exploding loader", False)
    assert "boom" in crashed.detail and crashed.fix
    assert not network.ok
