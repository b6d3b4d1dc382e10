"""The environment check: it passes here, and each kind of problem makes it fail."""

import importlib.metadata
import subprocess
import sys
from types import SimpleNamespace

import jupyter_client.kernelspec
import pytest

from vit_steps import doctor


def write(tmp_path, text: str):
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_doctor_passes_here(tmp_path):
    # From another folder: the doctor finds the repository from the package, not the cwd.
    proc = subprocess.run(
        [sys.executable, "-m", "vit_steps.doctor"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()[:-1]  # the last line sums up
    assert all(line.endswith("OK") for line in lines), proc.stdout
    # Every pin has its line, not only the first.
    pinned = [line.split("==")[0] for line in doctor.REQUIREMENTS.read_text().splitlines() if "==" in line]
    assert set(pinned) <= {line.split(" ")[0] for line in lines}


def test_a_wrong_pin_and_a_missing_package_fail(tmp_path, capsys):
    right = f"numpy=={importlib.metadata.version('numpy')}"
    assert doctor.main(write(tmp_path, f"{right}\npillow==0.0.1\nno-such-package-for-vit-steps==1.0\n")) == 1
    fails = {row.split(" ")[0]: row.endswith("FAIL") for row in capsys.readouterr().out.splitlines()}
    assert (fails["numpy"], fails["pillow"], fails["no-such-package-for-vit-steps"]) == (False, True, True)


def test_read_pins_keeps_only_the_packages_that_apply_here(tmp_path):
    text = '# pins\n-r other.txt\n-e .\n\nnumpy==1.0  # why\nwinonly==2.0; sys_platform == "nowhere"\n'
    assert [str(pin) for pin in doctor.read_pins(write(tmp_path, text))] == ["numpy==1.0"]


def test_local_version_matches_its_pin(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.13.0+cpu")
    doctor.check_pin(doctor.Requirement("torch==2.13.0"))
    with pytest.raises(doctor.Problem):
        doctor.check_pin(doctor.Requirement("torch==2.12.0"))


def test_python_below_requires_python_fails(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: {"Requires-Python": ">=99"})
    with pytest.raises(doctor.Problem):
        doctor.check_python()


@pytest.mark.parametrize("argv0", ["/nowhere/bin/python", "python-not-on-path"])
def test_kernel_of_another_python_fails(monkeypatch, argv0):
    spec = SimpleNamespace(argv=[argv0, "-m", "ipykernel_launcher"])
    monkeypatch.setattr(jupyter_client.kernelspec.KernelSpecManager, "get_kernel_spec", lambda self, n: spec)
    with pytest.raises(doctor.Problem):
        doctor.check_kernel()


def test_missing_checkpoint_fails(tmp_path):
    with pytest.raises(FileNotFoundError):
        doctor.check_checkpoint(tmp_path / "fashion_vit.pt")
