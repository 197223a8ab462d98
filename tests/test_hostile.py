"""Hostile and malformed input (issue 14): every loader ends in one SramfitError naming
the file (and line and field), the CLI exits 2 (3 for an internal error), no file's
contents leak into an error, saving is safe. The expected values are the issue's own
inputs and PyYAML's reading of well-formed files, not this code's output."""
import errno
import os
import stat

import pytest
import yaml

from sramfit import commands, engine
from sramfit.engine import fileio, schema, yamlio
from sramfit.engine.errors import ModelError, SramfitError
from sramfit.engine.modelfile import load_model, model_from_dict
from sramfit.engine.resources import chips_dir, scenarios_dir
from sramfit.engine.scenario import Scenario, load_scenario, save_scenario

CANARY = "CANARY-51d2 hunter2"


def cli(*argv):
    return commands.main(list(argv))


def run(capsys, *argv):
    rc = cli(*argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


# -- YAML reading --------------------------------------------------------------------
LAUGHS = """version: 1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
model: *g
"""


@pytest.mark.parametrize("text,line,words", [
    (LAUGHS, 7, "limit MAX_ALIAS_NODES"),                       # 9^6 values: refused
    ("version: 1\nmodel: &m {name: x, layers: [*m]}\n", 2, "recursive alias"),
    ("version: 1\nx: &a [1, *a]\n", 2, "recursive alias"),
    ("version: 1\nbatch: " + "9" * 5000 + "\n", 2, "more than 40 digits"),
    ("version: 1\nmodel: " + "[" * 2000 + "]" * 2000 + "\n", 2, "limit MAX_DEPTH"),
    ("version: 1\nmodel: " + "[" * 200000 + "\n", 2, "limit MAX_DEPTH"),  # C stack safe
    ("version: 1\nbatch: 1\nname: a\nbatch: 2\n", 4, "duplicate key (also on line 2)"),
    ("version: 1\nname: !!python/object:os.system x\n", 2, "unsupported YAML tag"),
    ("version: 1\nname: !!binary aGVsbG8=\n", 2, "unsupported YAML tag"),
    ("version: 1\n? [a, b]\n: 1\n", 2, "a mapping key must be a plain value"),
    ("version: 1\n---\nversion: 1\n", 2, "more than one YAML document"),
    ("version: 1\nx: *nowhere\n", 2, "undefined anchor"),
])
def test_yaml_limits_refused_naming_file_and_line(tmp_path, capsys, text, line, words):
    p = write(tmp_path, text)
    rc, out, err = run(capsys, "report", str(p))
    assert rc == 2 and out == ""
    assert err.startswith(f"sramfit: error: {p}:{line}: ") and words in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_yaml_reads_like_pyyaml_on_every_bundled_file():
    """The bounded reader gives the same values as yaml.safe_load (the reference)."""
    files = sorted(chips_dir().glob("*.yaml")) + sorted(scenarios_dir().glob("*.yaml"))
    assert len(files) >= 20
    for p in files:
        text = p.read_text()
        assert yamlio.parse(text, str(p))[0] == yaml.safe_load(text), p


def test_yaml_values_merge_keys_and_small_aliases():
    text = ("a: 017\nb: 0x1F\nc: 1_000\nd: .inf\ne: ~\nf: 'q'\ng: 2020-01-02\n"
            "h: &h {x: 1, y: 2}\ni: {<<: *h, y: 3}\nj: [*h, *h]\nk: 1.5e+3\nl: yes\n")
    data, lines = yamlio.parse(text)
    ref = yaml.safe_load(text)
    assert data["a"] == 0o17 == ref["a"] and data["b"] == 31 and data["c"] == 1000
    assert data["d"] == float("inf") and data["e"] is None and data["f"] == "q"
    assert data["g"] == "2020-01-02"                     # dates stay text
    assert data["i"] == {"x": 1, "y": 3} == ref["i"] and data["j"] == ref["j"]
    assert data["k"] == 1500.0 and data["l"] is True
    assert lines[("i", "y")] == 9 and lines[("j", 1)] == 10 and lines[()] == 1
    assert ("nope",) not in lines and lines.get(("h", "zz")) is None


def test_yaml_error_never_quotes_the_file():
    for text in (f"a: [1, 2\n{CANARY}: '\n", f"a: b: {CANARY}\n", f"\t{CANARY}\n",
                 f"a: !{CANARY} x\n", f"a: *{CANARY}\n", f"{CANARY}: &x\n  - *x\n"):
        with pytest.raises(SramfitError) as ei:
            yamlio.parse(text, "f.yaml")
        assert "CANARY" not in str(ei.value) and str(ei.value).startswith("f.yaml")


# -- schemas: types and ranges ---------------------------------------------------------
CHIP = ("{name: x, sram_mb: 8, dram_gbps: 10, macs: 4096, clock_mhz: 1000, "
        "array_rows: 64, array_cols: 64, precision_rate: {int8: 1.0}%s}")


@pytest.mark.parametrize("body,words", [
    ("sram_mb: 1.0e+303", "field 'sram_mb': must be <= 1e+07"),
    ("chip: " + CHIP.replace("dram_gbps: 10", "dram_gbps: 1.0e-320") % "",
     "field 'dram_gbps': must be > 1e-06"),
    ("chip: " + CHIP % ", estimated: [[x]]", "field 'estimated': item 0"),
    ("model: {name: x, layers: [{op: conv, out: 100000000000000, kernel: 3}]}",
     "field 'out': 100000000000000 is more than the limit"),
    ("model: {name: x, layers: [{op: upsample, scale: 1.0e+300}]}", "field 'scale'"),
    ("model: {name: x, layers: [{op: other, params: .inf}]}", "field 'params'"),
    ("model: {name: x, layers: [{op: other, params: .nan}]}", "field 'params'"),
    ("model: {name: x, layers: [{op: other, params: -100}]}", "field 'params'"),
    ("model: {name: x, layers: [{op: reshape, kind: shape, shape: [-3, -4]}]}",
     "field 'shape'"),
    ("model: {name: x, layers: [{op: [conv], out: 3, kernel: 3}]}", "field 'op'"),
    ("model: {name: x, layers: [{op: act, inputs: [[a]]}]}", "field 'inputs'"),
    ("model: {name: x, layers: [{op: act, 1: 2, x: 3}]}", "field names must be text"),
    ("model: {name: x, layers: [{op: concat, inputs: [input, input], axis: 1.0e+300}]}",
     "field 'axis'"),
    ("model: {name: x, layers: [{op: other, out_shape: [.inf]}]}", "field 'out_shape'"),
    ("batch: .nan", "field 'batch': expected a whole number"),
    ("width: 100000", "field 'width': must be <= 16384"),
    ("weights: [int8]", "field 'weights': expected a string"),
])
def test_schema_refuses_bad_values(tmp_path, capsys, body, words):
    p = write(tmp_path, f"version: 1\nname: t\n{body}\n")
    rc, out, err = run(capsys, "report", str(p))
    assert rc == 2 and err.startswith(f"sramfit: error: {p}:3: "), err
    assert words in err and "Traceback" not in err


def test_mixed_key_types_and_foreign_mapping_are_refused():
    with pytest.raises(SramfitError, match="not a scenario"):
        engine.scenario_from_dict({1: 2, "x": 3}, "f.yaml")
    with pytest.raises(SramfitError, match="field names must be text"):
        engine.scenario_from_dict({1: 2, "batch": 3, "version": 1}, "f.yaml")
    with pytest.raises(ModelError, match="field names must be text"):
        model_from_dict({"name": "m", "layers": [{"op": "act", 1: 2, "x": 3}]})


def test_field_types_default_and_extra_check():
    f = schema.Field((int,), 5)
    assert f.default == 5 and f.problem("x") == "expected a whole number, got 'x'"
    g = schema.Field((str,), None, check=lambda v: None if v == "ok" else "say ok")
    assert g.problem("ok") is None and g.problem("no") == "say ok"


# -- resource caps -----------------------------------------------------------------------
def test_layer_count_limit_named():
    layers = [{"op": "act"}] * (schema.MAX_LAYERS + 1)
    with pytest.raises(ModelError, match="limit MAX_LAYERS = 100000"):
        model_from_dict({"name": "m", "layers": layers})


def test_tensor_and_mac_limits_named():
    big = model_from_dict({"name": "m", "input": {"channels": 3, "width": 16384,
                                                  "height": 16384},
                           "layers": [{"op": "conv", "out": 1 << 16, "kernel": 1}]})
    # 2^16 channels x 2^28 pixels = 2^44 values > MAX_TENSOR_ELEMENTS = 2^40
    with pytest.raises(engine.ShapeError, match="over the limit of 1,099,511,627,776 elements"):
        engine.analyze(big, 16384, 16384)
    macs = model_from_dict({"name": "m", "layers": [
        {"name": "a", "op": "conv", "out": 4096, "kernel": 1},
        {"name": "b", "op": "conv", "out": 4096, "kernel": 255, "padding": 127}]})
    # layer b: 4096 x 4096 x 255^2 x 1024^2 pixels ~ 1.1e18 MACs > 2^50
    with pytest.raises(engine.ShapeError, match="MAX_MACS"):
        engine.analyze(macs, 1024, 1024)


# -- foreign files never leak ------------------------------------------------------------
@pytest.mark.parametrize("secret", [
    f"password: {CANARY}\nversion: '3'\n",
    f"{CANARY}\nroot:x:0:0:{CANARY}:/root:/bin/bash\n",
    f"- {CANARY}\n- [{CANARY}]\n",
    f"[{CANARY}\n",
    f"\x00\xff{CANARY}",
])
def test_foreign_file_contents_never_printed(tmp_path, capsys, secret):
    (tmp_path / "secret").write_bytes(secret.encode("utf-8", "surrogateescape")
                                      if isinstance(secret, str) else secret)
    for ext in (".yaml", ".cfg"):
        (tmp_path / f"secret{ext}").write_bytes((tmp_path / "secret").read_bytes())
    for body in ("chip: secret", "chip: ./secret.yaml", "model: secret.yaml",
                 "model: secret.cfg"):
        p = write(tmp_path, f"version: 1\n{body}\n")
        rc, out, err = run(capsys, "report", str(p))
        assert rc == 2 and "CANARY" not in out + err and "hunter2" not in out + err, err
    for m in ("secret.yaml", "secret.cfg"):
        rc, out, err = run(capsys, "report", "--model", str(tmp_path / m))
        assert rc == 2 and "CANARY" not in out + err, err


def test_non_regular_and_huge_files(tmp_path, monkeypatch):
    with pytest.raises(SramfitError, match="not a regular file"):
        fileio.read_text("/dev/zero")
    with pytest.raises(SramfitError, match="is a folder"):
        fileio.read_text(tmp_path)
    p = write(tmp_path, "version: 1\n" * 100)
    monkeypatch.setattr(fileio, "MAX_FILE_BYTES", 100)
    with pytest.raises(SramfitError, match="limit MAX_FILE_BYTES"):
        load_scenario(p)
    with pytest.raises(engine.ChipError, match="not found"):
        engine.load_chip("a\x00b.yaml")


# -- the CLI's last resort -----------------------------------------------------------------
def test_internal_error_is_one_line_exit_3(monkeypatch, capsys):
    def boom(args):
        raise ZeroDivisionError("x")
    monkeypatch.setattr(commands, "cmd_models", boom)
    rc, out, err = run(capsys, "models")
    assert rc == 3 and err.startswith("sramfit: internal error (ZeroDivisionError)")
    assert "--debug" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ZeroDivisionError):
        cli("models", "--debug")


# -- saving ----------------------------------------------------------------------------------
def test_save_follows_symlink_and_honours_umask(tmp_path):
    target = tmp_path / "real.yaml"
    link = tmp_path / "link.yaml"
    s = Scenario(name="linked", model="resnet18", chip="chip_a")
    old = os.umask(0o022)
    try:
        save_scenario(s, target)
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
        os.symlink(target, link)
        save_scenario(Scenario(name="via link", model="resnet18", chip="chip_a"), link)
    finally:
        os.umask(old)
    assert os.path.islink(link) and load_scenario(target).name == "via link"
    os.chmod(target, 0o600)                          # an existing file keeps its mode
    save_scenario(s, target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_save_full_disk_names_the_target_and_cleans_up(tmp_path, monkeypatch):
    p = tmp_path / "s.yaml"
    save_scenario(Scenario(name="a", model="resnet18", chip="chip_a"), p)
    before = p.read_bytes()
    stale = tmp_path / ".s.yaml.999999999.abc.tmp"   # left by a killed save (dead pid)
    stale.write_text("half")
    foreign_tmp = tmp_path / ".other.yaml.999999999.abc.tmp"
    foreign_tmp.write_text("not ours")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/x/.s.yaml.1.tmp")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(SramfitError) as ei:
        save_scenario(Scenario(name="b", model="resnet18", chip="chip_a"), p)
    monkeypatch.undo()
    msg = str(ei.value)
    assert msg.startswith(f"{p}: cannot save: No space left on device") and ".tmp" not in msg
    assert p.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [".other.yaml.999999999.abc.tmp", "s.yaml"]


# -- GUI editing paths -----------------------------------------------------------------------
def test_gui_layer_edits_and_open_never_raise(qapp, tmp_path):
    from sramfit.gui.document import Document
    from sramfit.gui.layer_editor import COLUMNS, ModelLayersModel
    m = ModelLayersModel()
    m.set_model(load_model("resnet18"), editable=True)
    problems, edits = [], []
    m.problem.connect(problems.append)
    m.modelEdited.connect(lambda model, text: edits.append(text))
    other = [c[0] for c in COLUMNS].index("other")
    for text in ("{params: .nan}", "{1: 2, x: 3}", "{scale: 1.0e+300}",
                 "&a [*a]", "[" * 500, "{fn: [relu]}"):
        assert m.setData(m.index(1, other), text) is False
    assert len(problems) == 6 and not edits
    for body in ("model: &m {name: x, layers: [*m]}", "sram_mb: 1.0e+303"):
        p = write(tmp_path, f"version: 1\n{body}\n")
        with pytest.raises(SramfitError, match=f"{p.name}:2"):
            Document.read(str(p))


def test_darknet_and_yaml_size_limits_named(tmp_path, monkeypatch):
    from sramfit.engine.importers import darknet
    opts = "[net]\n" + "".join(f"a{i}=1\n" for i in range(darknet.MAX_OPTIONS + 1))
    with pytest.raises(ModelError, match=r"x.cfg:1002: .*limit MAX_OPTIONS"):
        darknet.from_text(opts, "x.cfg")
    monkeypatch.setattr(darknet, "MAX_LAYERS", 10)
    with pytest.raises(ModelError, match=r"x.cfg:12: .*limit MAX_LAYERS"):
        darknet.from_text("[net]\n" + "[dropout]\n" * 11, "x.cfg")
    p = write(tmp_path, "[net]\n" + "#\n" * 100, "big.cfg")
    monkeypatch.setattr(darknet, "MAX_CFG_BYTES", 100)
    with pytest.raises(ModelError, match="limit MAX_CFG_BYTES = 100 bytes"):
        load_model(str(p))
    monkeypatch.setattr(yamlio, "MAX_COLLECTIONS", 3)
    with pytest.raises(SramfitError, match=r"f.yaml:1: .*limit MAX_COLLECTIONS"):
        yamlio.parse("[{}, {}, {}]", "f.yaml")
    monkeypatch.setattr(yamlio, "MAX_NODES", 5)
    with pytest.raises(SramfitError, match=r"f.yaml:2: .*limit MAX_NODES"):
        yamlio.parse("[1, 2, 3,\n 4, 5, 6]", "f.yaml")


@pytest.mark.parametrize("extra,words", [
    (["--over", "sram", "--min-mb", "1e303", "--max-mb", "inf"], "need 0 < min < max"),
    (["--over", "sram", "--min-mb", "nan", "--max-mb", "5"], "need 0 < min < max"),
    (["--over", "sram", "--points", "100000000"], "limit MAX_SWEEP_POINTS"),
    (["--over", "batch", "--batches", ",".join(["2"] * 10001)], "limit MAX_SWEEP_POINTS"),
    (["--over", "batch", "--batches", "1,nan"], "expected comma-separated numbers"),
])
def test_sweep_flags_out_of_range(capsys, extra, words):
    rc, out, err = run(capsys, "sweep", "--model", "resnet18", "--chip", "chip_a", *extra)
    assert rc == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_pure_python_fallback_reads_the_same(monkeypatch):
    monkeypatch.setattr(yamlio, "_Loader", yaml.SafeLoader)
    for p in sorted(chips_dir().glob("*.yaml"))[:3]:
        text = p.read_text()
        assert yamlio.parse(text, str(p))[0] == yaml.safe_load(text)
    with pytest.raises(SramfitError, match=r"f.yaml:3: not valid YAML \(column 1\): "
                                           r"expected the node content, but found "
                                           r"'<stream end>'"):
        yamlio.parse("a: 1\nb: [1,\n", "f.yaml")
    with pytest.raises(SramfitError, match="limit MAX_DEPTH"):
        yamlio.parse("[" * 100000, "f.yaml")
    with pytest.raises(SramfitError, match="limit MAX_ALIAS_NODES"):
        yamlio.parse(LAUGHS, "f.yaml")


@pytest.mark.parametrize("field,value,words", [
    ("metric", ["x"], "calibration[0].metric"),
    ("model", {"a": 1}, "calibration[0].model"),
    ("input", [10 ** 30, 10 ** 30], "calibration[0].input"),
    ("batch", 10 ** 30, "calibration[0].batch"),
])
def test_chip_calibration_entries_refused(field, value, words):
    from sramfit.engine.chip import chip_from_dict, chip_to_dict
    d = chip_to_dict(engine.load_chip("t4"))
    m = dict(d["calibration"][0], **{field: value})
    d.update(calibration=[m], fitted=[])
    with pytest.raises(engine.ChipError, match=r"c\.yaml: field '" + words.replace(
            "[", r"\[").replace("]", r"\]")):
        chip_from_dict(d, "c.yaml")
