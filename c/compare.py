#!/usr/bin/env python3
"""Test glue for c/test.sh: the C reader (through bnmdump) against the Swift reader
(`bnconvert inspect --json` and `bnconvert validate --json`) on every .bnm fixture, on the
.bnm files converted from every Keras fixture, and on a corpus of edge cases built here.

    compare.py BNCONVERT BNMDUMP SCRATCH_DIR

For every file: the accept/reject verdict of C's structure-only open (FORMAT.md steps 1-13)
must equal `inspect`'s exit status; the verdict of C's full open (checksums, padding) must
equal "inspect accepts and validate reports no FILE* finding and no unusable input"; a
rejection must carry a code Swift reports for the file. For accepted files the whole manifest
C parsed must equal the JSON inspect prints, and every tensor's name, dtype, shape, length and
the CRC-32 of the bytes C hands out must match the tensor table Swift validated.
Prints one line per failure and a final line "N passed, M failed"; exit 1 on any failure.
"""
import copy
import json
import os
import struct
import subprocess
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BNM_FIXTURES = os.path.join(ROOT, "Tests", "BNModelTests", "Fixtures")
KERAS = os.path.join(ROOT, "Tests", "KerasHDF5Tests", "Fixtures")

passed = 0
failed = 0
divergences = []
# Edge cases where the two readers are known to differ on purpose (see c/README.md):
# Swift compares names as Swift Strings (Unicode canonical equivalence), C compares bytes.
KNOWN_DIVERGENT = {"edge_nfc_nfd_tensor_names.bnm", "edge_nfc_nfd_layer_names.bnm"}
# bnm_kind values in order (bnm.h): bnmdump prints the id, which must name the layer's kind.
KIND_IDS = ["input", "conv2d", "depthwise_conv2d", "separable_conv2d", "dense", "batch_norm", "activation",
            "max_pool2d", "avg_pool2d", "global_avg_pool2d", "global_max_pool2d", "flatten", "reshape", "add",
            "concatenate", "zero_padding2d", "dropout", "rescale", "multiply", "upsample2d", "cropping2d",
            "normalize", "unmapped", "layer_norm"]
# Edge cases whose verdict is fixed (True = both readers open it), besides C = Swift: the
# format's rules for grouped conv2d and layer_norm, so that a reader agreeing with a wrong
# Swift verdict would still fail. Filled in by edge_cases().
EXPECTED_VERDICT = {}


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def run(args):
    r = subprocess.run(args, capture_output=True)
    return r.returncode, r.stdout, r.stderr


def as_parsed(value):
    """JSON as a strict parser holds it: integer tokens that fit Int64 are integers, any other
    number is the nearest double (Python keeps big integer tokens exact)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -2 ** 63 <= value < 2 ** 63 else float(value)
    if isinstance(value, list):
        return [as_parsed(v) for v in value]
    if isinstance(value, dict):
        return {k: as_parsed(v) for k, v in value.items()}
    return value


def compare(tool, dump, path):
    name = os.path.relpath(path, ROOT) if path.startswith(ROOT) else os.path.basename(path)
    i_code, i_out, i_err = run([tool, "inspect", "--json", path])
    v_code, v_out, _ = run([tool, "validate", "--json", path])
    findings = []
    if v_code in (0, 1):
        try:
            findings = json.loads(v_out)
        except ValueError:
            check(False, f"{name}: validate --json printed no JSON (exit {v_code})")
            return
    file_codes = [f["code"] for f in findings if f["code"].startswith("FILE")]
    c_full_code, c_full_out, c_full_err = run([dump, path])
    c_struct_code, c_struct_out, c_struct_err = run([dump, "--structure", path])
    for code, err in ((c_full_code, c_full_err), (c_struct_code, c_struct_err)):
        if code not in (0, 2) or err:
            check(False, f"{name}: bnmdump exit {code}, stderr {err.decode(errors='replace')[:2000]}")
            return
    full = json.loads(c_full_out)
    struct_ = json.loads(c_struct_out)

    swift_struct_ok = i_code == 0
    swift_full_ok = i_code == 0 and v_code != 2 and not file_codes
    if os.path.basename(path) in KNOWN_DIVERGENT:
        divergences.append(f"{name}: Swift inspect exit {i_code}, C {'accepts' if struct_['ok'] else 'rejects'}"
                           f" ({i_err.decode(errors='replace').strip()[:160]})")
        return
    check(struct_["ok"] == swift_struct_ok,
          f"{name}: structure verdict C={struct_['ok']} Swift inspect exit {i_code} "
          f"[{struct_.get('message', '')} | {i_err.decode(errors='replace').strip()}]")
    check(full["ok"] == swift_full_ok,
          f"{name}: full verdict C={full['ok']} Swift inspect {i_code} validate {v_code} {file_codes} "
          f"[{full.get('message', '')}]")
    expected = EXPECTED_VERDICT.get(os.path.basename(path))
    if expected is not None:
        check(struct_["ok"] == expected and swift_struct_ok == expected,
              f"{name}: expected {'accepted' if expected else 'refused'}; C {struct_['ok']}, Swift inspect exit {i_code}"
              f" [{struct_.get('message', '')} | {i_err.decode(errors='replace').strip()}]")

    def allowed_codes():
        if v_code == 2:
            return {"FILE008", "IO"}
        codes = set(file_codes)
        if i_code != 0:
            codes.add("FILE005")  # invalid model: inspect refuses, validate reports BN/CH codes
        return codes

    for label, result in (("full", full), ("structure", struct_)):
        if not result["ok"]:
            check(result["code"] in allowed_codes(),
                  f"{name}: {label} code {result['code']} ({result['rule']}) not among Swift's {sorted(allowed_codes())}")
    if not (full["ok"] and swift_full_ok):
        return

    manifest = json.loads(i_out)
    check(full["manifest"] == as_parsed(manifest), f"{name}: the manifest C parsed differs from inspect --json")
    with open(path, "rb") as handle:
        header = handle.read(64)
    data_offset = struct.unpack_from("<Q", header, 32)[0]
    tensors = manifest["tensors"]
    check(len(full["tensors"]) == len(tensors), f"{name}: tensor count")
    for mine, theirs in zip(full["tensors"], tensors):
        check(mine["name"] == theirs["name"] and mine["dtype"] == theirs["dtype"] and mine["shape"] == theirs["shape"]
              and mine["length"] == theirs["length"] and mine["crc32"] == theirs["crc32"] and mine["found"] == 1
              and mine["file_offset"] == data_offset + theirs["offset"] and mine["file_offset"] % 64 == 0,
              f"{name}: tensor {theirs['name']}: C {mine} vs Swift {theirs}")
    layers = manifest["model"]["layers"]
    check(len(full["layers"]) == len(layers), f"{name}: layer count")
    for mine, theirs in zip(full["layers"], layers):
        attributes = theirs["attributes"]
        mode = attributes["mode"] if theirs["kind"] == "batch_norm" else ""
        groups = attributes.get("groups", 1) if theirs["kind"] == "conv2d" else 0
        epsilon = attributes.get("epsilon") if isinstance(attributes, dict) else None
        check(0 <= mine["kind_id"] < len(KIND_IDS) and KIND_IDS[mine["kind_id"]] == theirs["kind"]
              and mine["groups"] == groups and mine["epsilon"] == epsilon,
              f"{name}: layer {theirs['name']}: C kind_id {mine['kind_id']}, groups {mine['groups']}, epsilon "
              f"{mine['epsilon']} vs Swift kind {theirs['kind']}, groups {groups}, epsilon {epsilon}")
        check(mine["name"] == theirs["name"] and mine["kind"] == theirs["kind"] and mine["bn_mode"] == mode
              and mine["inbound"] == theirs["inbound"] and mine["output_shape"] == theirs.get("output_shape")
              and mine["attributes"] == theirs["attributes"]
              and [t[:2] for t in mine["tensors"]] == [[t["role"], t["tensor"]] for t in theirs["tensors"]]
              and all(t[2] == 1 for t in mine["tensors"]),
              f"{name}: layer {theirs['name']}: C {mine} vs Swift {theirs}")


# ---------------------------------------------------------------- files converted from Keras

def convert_keras(tool, scratch):
    out = []
    manifest = json.load(open(os.path.join(KERAS, "manifest.json")))
    for fixture in manifest["fixtures"]:
        for entry in fixture["files"]:
            source = os.path.join(KERAS, entry["file"])
            target = os.path.join(scratch, entry["file"].replace("/", "_") + ".bnm")
            args = [tool, source, target, "--force"]
            if entry["kind"] != "full_model_h5":
                args += ["--config", os.path.join(KERAS, fixture["config"])]
            code, _, err = run(args)
            if code == 0 and os.path.exists(target):
                out.append(target)
            else:
                print(f"note: {entry['file']} is not converted by bnconvert (exit {code}): "
                      f"{err.decode(errors='replace').strip().splitlines()[-1:]}")
    return out


# ---------------------------------------------------------------- edge cases

def build(manifest, data, major=1, minor=0, flags=0, reserved=b"\0" * 8, gap=b"", data_offset=None,
          data_length=None, trailing=b"", manifest_crc=None):
    text = manifest if isinstance(manifest, bytes) else \
        json.dumps(manifest, separators=(",", ":"), ensure_ascii=False).encode()
    m_off = 64 + len(gap)
    d_off = data_offset if data_offset is not None else (m_off + len(text) + 63) // 64 * 64
    d_len = data_length if data_length is not None else len(data)
    crc = manifest_crc if manifest_crc is not None else zlib.crc32(text)
    head = b"\x89BNM\r\n\x1a\n" + struct.pack("<HHIQQQQI", major, minor, flags, m_off, len(text), d_off, d_len, crc)
    head += reserved
    head += struct.pack("<I", zlib.crc32(head))
    body = head + gap + text
    body += b"\0" * max(0, d_off - len(body))
    return body + data + trailing


def model_file(layers, tensors, minor=0):
    """A valid file: tensors is a list of (name, shape, values) stored as f32 in that order."""
    entries, data = [], b""
    for name, shape, values in tensors:
        raw = struct.pack(f"<{len(values)}f", *values)
        offset = (len(data) + 63) // 64 * 64
        data += b"\0" * (offset - len(data)) + raw
        entries.append({"name": name, "dtype": "f32", "shape": shape, "offset": offset, "length": len(raw),
                        "crc32": "%08x" % zlib.crc32(raw)})
    manifest = {
        "format": "bnm",
        "conventions": {"activations": "NCHW", "conv_kernel": "OIHW", "depthwise_kernel": "[C*M, 1, KH, KW]",
                        "dense_kernel": "[out, in]", "batch_norm_spatial": "[1, C, 1, 1]",
                        "batch_norm_per_activation": "[1, C, H, W]", "flatten_order": "CHW", "byte_order": "little"},
        "model": {"name": "new_kinds", "inputs": [layers[0]["name"]], "outputs": [layers[-1]["name"]], "layout_notes": [],
                  "layers": layers},
        "provenance": {"source_format": "compare.py", "source_version": "", "converter_version": "0",
                       "source_architecture": None, "extra": {}},
        "tensors": entries,
    }
    return manifest, data


def new_kinds_model():
    """input [4, 5, 5] -> grouped conv2d (groups 2, filters 6, kernel [6, 2, 3, 3]) -> conv2d
    with groups 1 written out -> layer_norm with gamma, beta -> layer_norm without tensors ->
    global average pool -> layer_norm on the [6] vector with beta only -> dense. Valid in every
    respect (bnconvert validate reports nothing)."""
    def ramp(n, scale=0.01):
        return [((k * 37) % 23 - 11) * scale for k in range(n)]

    def conv(name, inbound, filters, kernel, groups=None, use_bias=True):
        attributes = {"filters": filters, "kernel_size": kernel, "strides": [1, 1], "dilation": [1, 1],
                      "padding": [(kernel[0] - 1) // 2] * 2 + [(kernel[1] - 1) // 2] * 2, "use_bias": use_bias,
                      "activation": {"name": "relu"}}
        if groups is not None:
            attributes["groups"] = groups
        tensors = [{"role": "kernel", "tensor": name + "/kernel"}] + (
            [{"role": "bias", "tensor": name + "/bias"}] if use_bias else [])
        return {"name": name, "kind": "conv2d", "inbound": [inbound], "output_shape": [filters, 5, 5],
                "attributes": attributes, "tensors": tensors}

    def norm(name, inbound, shape, epsilon, roles):
        return {"name": name, "kind": "layer_norm", "inbound": [inbound], "output_shape": shape,
                "attributes": {"epsilon": epsilon}, "tensors": [{"role": r, "tensor": f"{name}/{r}"} for r in roles]}

    layers = [
        {"name": "x", "kind": "input", "inbound": [], "output_shape": [4, 5, 5], "attributes": {"shape": [4, 5, 5]},
         "tensors": []},
        conv("gconv", "x", 6, [3, 3], groups=2),
        conv("conv1", "gconv", 6, [1, 1], groups=1, use_bias=False),
        norm("ln", "conv1", [6, 5, 5], 1e-6, ["gamma", "beta"]),
        norm("ln_bare", "ln", [6, 5, 5], 0.001, []),
        {"name": "gap", "kind": "global_avg_pool2d", "inbound": ["ln_bare"], "output_shape": [6],
         "attributes": {"keep_dims": False}, "tensors": []},
        norm("ln_vec", "gap", [6], 1e-5, ["beta"]),
        {"name": "fc", "kind": "dense", "inbound": ["ln_vec"], "output_shape": [2],
         "attributes": {"units": 2, "use_bias": False, "activation": {"name": "linear"}},
         "tensors": [{"role": "kernel", "tensor": "fc/kernel"}]},
    ]
    tensors = [("gconv/kernel", [6, 2, 3, 3], ramp(108)), ("gconv/bias", [6], ramp(6)),
               ("conv1/kernel", [6, 6, 1, 1], ramp(36, 0.1)), ("ln/gamma", [1, 6, 1, 1], [1 + v for v in ramp(6)]),
               ("ln/beta", [1, 6, 1, 1], ramp(6)), ("ln_vec/beta", [1, 6, 1, 1], ramp(6)), ("fc/kernel", [2, 6], ramp(12))]
    return layers, tensors


def new_kind_cases():
    """conv2d groups and layer_norm: the clean model, what the format allows, and malformed
    variants that both readers must refuse (EXPECTED_VERDICT pins each verdict)."""
    layers, tensors = new_kinds_model()
    cases = {}

    def variant(name, expected, edit=None, minor=0, tensor_edit=None):
        ls, ts = copy.deepcopy(layers), copy.deepcopy(tensors)
        by_name = {l["name"]: l for l in ls}
        if edit is not None:
            edit(by_name)
        if tensor_edit is not None:
            ts = tensor_edit(ts)
        manifest, data = model_file(ls, ts)
        cases[name] = build(manifest, data, minor=minor)
        EXPECTED_VERDICT["edge_" + name + ".bnm"] = expected

    def attr(layer, key, value):
        def edit(by_name):
            by_name[layer]["attributes"][key] = value
        return edit

    def drop(layer, key):
        def edit(by_name):
            del by_name[layer]["attributes"][key]
        return edit

    def reshape_kernel(shape):
        def edit(ts):
            return [(n, shape, [0.5] * (shape[0] * shape[1] * shape[2] * shape[3])) if n == "gconv/kernel" else (n, s, v)
                    for n, s, v in ts]
        return edit

    variant("new_kinds", True)
    variant("new_kinds_minor1", True, minor=1)
    # conv2d groups: an integer in 1...2^53 that divides filters (6).
    variant("groups_absent", True, drop("gconv", "groups"), tensor_edit=reshape_kernel([6, 4, 3, 3]))
    variant("groups_6", True, attr("gconv", "groups", 6), tensor_edit=reshape_kernel([6, 1, 3, 3]))
    variant("groups_0", False, attr("gconv", "groups", 0))
    variant("groups_0_minor1", False, attr("gconv", "groups", 0), minor=1)
    variant("groups_negative", False, attr("gconv", "groups", -2))
    variant("groups_float", False, attr("gconv", "groups", 2.0))
    variant("groups_fraction", False, attr("gconv", "groups", 1.5))
    variant("groups_string", False, attr("gconv", "groups", "2"))
    variant("groups_bool", False, attr("gconv", "groups", True))
    variant("groups_null", False, attr("gconv", "groups", None))
    variant("groups_array", False, attr("gconv", "groups", [2]))
    variant("groups_not_dividing_filters", False, attr("gconv", "groups", 4))
    variant("groups_2_53", False, attr("gconv", "groups", 2 ** 53))
    variant("groups_above_2_53", False, attr("gconv", "groups", 2 ** 53 + 1))
    variant("groups_above_int64", False, attr("gconv", "groups", 2 ** 64))
    # That groups divides the input's channels, and the kernel's shape, are validate's shape
    # rules (CH010, CH002), not reader rules: both readers open these.
    variant("groups_not_dividing_input", True, attr("gconv", "groups", 3), tensor_edit=reshape_kernel([6, 1, 3, 3]))
    variant("groups_kernel_ungrouped", True, tensor_edit=reshape_kernel([6, 4, 3, 3]))

    def huge(by_name):
        by_name["conv1"]["attributes"].update({"filters": 2 ** 53, "groups": 2 ** 53})
    variant("groups_filters_2_53", True, huge)

    def depthwise_groups(by_name):
        by_name["conv1"].update({"kind": "depthwise_conv2d", "tensors": []})
        a = by_name["conv1"]["attributes"]
        a["depth_multiplier"] = a.pop("filters")
    variant("groups_on_depthwise", False, depthwise_groups, tensor_edit=lambda ts: [t for t in ts if t[0] != "conv1/kernel"])
    variant("groups_on_depthwise_minor1", True, depthwise_groups, minor=1,
            tensor_edit=lambda ts: [t for t in ts if t[0] != "conv1/kernel"])
    variant("groups_on_dense", False, attr("fc", "groups", 1))
    # layer_norm: epsilon a finite number > 0, nothing else.
    variant("layer_norm_epsilon_integer", True, attr("ln", "epsilon", 1))
    variant("layer_norm_epsilon_subnormal", True, attr("ln", "epsilon", 5e-324))
    variant("layer_norm_epsilon_0", False, attr("ln", "epsilon", 0))
    variant("layer_norm_epsilon_0_float", False, attr("ln", "epsilon", 0.0))
    variant("layer_norm_epsilon_negative_zero", False, attr("ln", "epsilon", -0.0))
    variant("layer_norm_epsilon_negative", False, attr("ln", "epsilon", -1e-6))
    variant("layer_norm_epsilon_0_minor1", False, attr("ln", "epsilon", 0), minor=1)
    variant("layer_norm_epsilon_string", False, attr("ln", "epsilon", "1e-6"))
    variant("layer_norm_epsilon_null", False, attr("ln", "epsilon", None))
    variant("layer_norm_missing_epsilon", False, drop("ln", "epsilon"))
    variant("layer_norm_unknown_attribute", False, attr("ln", "axis", -1))
    variant("layer_norm_unknown_attribute_minor1", True, attr("ln", "axis", -1), minor=1)
    variant("layer_norm_groups", False, attr("ln", "groups", 1))

    def momentum_like_bn(by_name):
        by_name["ln"]["attributes"].update({"mode": "spatial", "momentum": 0.99, "materialized": []})
    variant("layer_norm_with_batch_norm_attributes", False, momentum_like_bn)

    def attributes_not_object(by_name):
        by_name["ln"]["attributes"] = [1e-6]
    variant("layer_norm_attributes_array", False, attributes_not_object)
    # Its tensors' shapes and roles are validate's rules (CH008, CH006), not reader rules.
    variant("layer_norm_gamma_rank1", True,
            tensor_edit=lambda ts: [(n, [6], v) if n == "ln/gamma" else (n, s, v) for n, s, v in ts])

    def extra_role(by_name):
        by_name["ln_bare"]["tensors"] = [{"role": "mean", "tensor": "ln_bare/mean"}]
    variant("layer_norm_extra_role", True, extra_role, tensor_edit=lambda ts: ts + [("ln_bare/mean", [1, 6, 1, 1], [0.0] * 6)])

    def duplicate_role(by_name):
        by_name["ln"]["tensors"][1]["role"] = "gamma"
    variant("layer_norm_duplicate_role", False, duplicate_role)
    # reshape: at most one -1 (the schema's maxContains), each size >= -1.
    def reshape(target):
        def edit(by_name):
            by_name["ln_vec"].update({"kind": "reshape", "attributes": {"target_shape": target}, "tensors": []})
        return edit
    no_ln_vec_beta = lambda ts: [t for t in ts if t[0] != "ln_vec/beta"]  # noqa: E731
    variant("reshape_one_minus_one", True, reshape([-1, 2]), tensor_edit=no_ln_vec_beta)
    variant("reshape_two_minus_ones_new", False, reshape([-1, 2, -1]), tensor_edit=no_ln_vec_beta)
    variant("reshape_minus_two", False, reshape([-2, 3]), tensor_edit=no_ln_vec_beta)
    variant("reshape_two_minus_ones_minor1", False, reshape([-1, -1]), minor=1, tensor_edit=no_ln_vec_beta)
    return cases


def edge_cases(scratch):
    src = open(os.path.join(BNM_FIXTURES, "defects", "clean.bnm"), "rb").read()
    _, _, _, m_off, m_len, d_off, d_len, _ = struct.unpack_from("<HHIQQQQI", src, 8)
    base = json.loads(src[m_off:m_off + m_len])
    data = src[d_off:d_off + d_len]
    text = json.dumps(base, separators=(",", ":")).encode()
    cases = {}

    def edit(fn, **kw):
        m = copy.deepcopy(base)
        fn(m)
        return build(m, data, **kw)

    def layer(m, name):
        return next(l for l in m["model"]["layers"] if l["name"] == name)

    def set_(obj, key, value):
        obj[key] = value

    cases["clean_rebuilt"] = build(base, data)
    cases["newer_minor_extra_members"] = edit(lambda m: (set_(m, "future", {"x": 1}), set_(m["tensors"][0], "future", 1),
                                                         set_(layer(m, "conv")["attributes"], "future", 1)), minor=1)
    cases["extra_member_minor0"] = edit(lambda m: set_(m, "future", 1))
    # (This case used "groups" as the unknown attribute until conv2d gained it: see new_kind_cases.)
    cases["extra_attribute_minor0"] = edit(lambda m: set_(layer(m, "conv")["attributes"], "future", 1))
    cases["extra_activation_member"] = edit(lambda m: set_(layer(m, "relu")["attributes"]["activation"], "alpha", 0.1))
    cases["clipped_relu_null_max"] = edit(lambda m: set_(layer(m, "relu")["attributes"], "activation",
                                                          {"name": "clipped_relu", "max_value": None,
                                                           "negative_slope": 0.0, "threshold": 0.0}))
    cases["softmax_axis_9"] = edit(lambda m: set_(layer(m, "relu")["attributes"], "activation", {"name": "softmax", "axis": 9}))
    cases["unknown_activation"] = edit(lambda m: set_(layer(m, "relu")["attributes"], "activation", {"name": "swoosh"}))
    cases["unknown_kind"] = edit(lambda m: set_(layer(m, "relu"), "kind", "relu"))
    cases["unknown_dtype"] = edit(lambda m: set_(m["tensors"][0], "dtype", "f8"))
    cases["offset_as_float"] = text.replace(b'"offset":64,', b'"offset":64.0,', 1)
    cases["duplicate_key"] = text.replace(b'{"format":"bnm"', b'{"format":"bnm","format":"bnm"', 1)
    cases["trailing_comma"] = text.replace(b'"layout_notes":[]', b'"layout_notes":["a",]', 1)
    cases["bom"] = b"\xef\xbb\xbf" + text
    cases["nan_literal"] = text.replace(b'"extra":{', b'"extra":{"x":NaN,', 1)
    cases["huge_number"] = text.replace(b'"extra":{', b'"extra":{"x":1e400,', 1)
    cases["tiny_number_ok"] = text.replace(b'"extra":{', b'"extra":{"x":1e-400,"y":-0,"z":9223372036854775808,"w":-9223372036854775809,', 1)
    cases["long_number"] = text.replace(b'"extra":{', b'"extra":{"x":' + b"1" * 1025 + b",", 1)
    cases["long_number_ok"] = text.replace(b'"extra":{', b'"extra":{"x":0.' + b"1" * 1022 + b",", 1)
    cases["deep_nesting"] = text.replace(b'"extra":{', b'"extra":{"x":' + b"[" * 600 + b"]" * 600 + b",", 1)
    cases["nesting_511_ok"] = text.replace(b'"extra":{', b'"extra":{"x":' + b"[" * 509 + b"]" * 509 + b",", 1)
    cases["nesting_512_not"] = text.replace(b'"extra":{', b'"extra":{"x":' + b"[" * 511 + b"]" * 511 + b",", 1)
    cases["lone_surrogate"] = text.replace(b'"extra":{', b'"extra":{"x":"\\ud800",', 1)
    cases["surrogate_pair_ok"] = text.replace(b'"extra":{', b'"extra":{"x":"\\ud83d\\ude00\\u0000\\/",', 1)
    cases["bad_utf8"] = text.replace(b'"extra":{', b'"extra":{"x":"\xc0\xaf",', 1)
    cases["utf8_surrogate"] = text.replace(b'"extra":{', b'"extra":{"x":"\xed\xa0\x80",', 1)
    cases["control_char"] = text.replace(b'"extra":{', b'"extra":{"x":"\x01",', 1)
    cases["bad_escape"] = text.replace(b'"extra":{', b'"extra":{"x":"\\x",', 1)
    cases["leading_zero"] = text.replace(b'"extra":{', b'"extra":{"x":01,', 1)
    cases["empty_manifest"] = b""
    cases["manifest_not_object"] = b"[]"
    cases["required_flag"] = build(base, data, flags=1)
    cases["optional_flag"] = build(base, data, flags=1 << 16)
    cases["major_2"] = build(base, data, major=2)
    cases["major_0"] = build(base, data, major=0)
    cases["reserved_nonzero"] = build(base, data, reserved=b"\0\0\0\x01\0\0\0\0")
    cases["reserved_nonzero_minor1"] = build(base, data, minor=1, reserved=b"\0\0\0\x01\0\0\0\0")
    cases["gap_zero"] = build(base, data, gap=b"\0" * 64)
    cases["gap_nonzero"] = build(base, data, gap=b"\0" * 63 + b"\x01")
    cases["gap_nonzero_minor1"] = build(base, data, minor=1, gap=b"\0" * 63 + b"\x01")
    cases["gap_zero_minor1"] = build(base, data, minor=1, gap=b"\0" * 64)
    cases["data_offset_extra_64"] = build(base, data, data_offset=(64 + len(text) + 63) // 64 * 64 + 64)
    cases["manifest_trailing_newline"] = text + b"\n"
    cases["manifest_whitespace"] = text.replace(b'{"format":"bnm",', b' {\r\n\t"format" : "bnm" ,', 1)
    cases["text_mode_cr"] = build(base, data).replace(b"\x89BNM\r\n\x1a\n", b"\x89BNM\r\x1a\r", 1)
    cases["text_mode_7bit"] = b"\x09BNM"
    cases["text_mode_short"] = b"\x89BNM\r\r\n\x1a\r"
    m = copy.deepcopy(base)
    m["tensors"] = []
    for l in m["model"]["layers"]:
        l["tensors"] = []
        if l["kind"] in ("conv2d", "dense", "batch_norm"):
            l["kind"], l["attributes"] = "dropout", {"rate": 0.5}
    cases["no_tensors"] = build(m, b"")
    cases["data_offset_unaligned"] = build(base, data, data_offset=(64 + len(text) + 63) // 64 * 64 + 8)
    cases["data_offset_inside_manifest"] = build(base, data, data_offset=64)
    cases["trailing_bytes"] = build(base, data, trailing=b"\0")
    cases["data_length_short"] = build(base, data[:-4], data_length=len(data) - 4)
    cases["data_length_long"] = build(base, data + b"\0" * 64, data_length=len(data) + 64)
    cases["manifest_crc_wrong"] = build(base, data, manifest_crc=1)
    cases["manifest_too_large"] = build(base, data)[:24] + struct.pack("<Q", (64 << 20) + 1) + build(base, data)[32:]
    cases["shape_overflow"] = edit(lambda m: set_(m["tensors"][0], "shape", [2 ** 53, 2 ** 53, 0]))
    cases["shape_zero_ok_product"] = edit(lambda m: set_(m["tensors"][0], "shape", [2 ** 40, 2 ** 40, 0]))
    cases["dim_above_2_53"] = edit(lambda m: set_(m["tensors"][0], "shape", [2 ** 53 + 1]))
    cases["length_mismatch"] = edit(lambda m: set_(m["tensors"][0], "length", m["tensors"][0]["length"] + 4))
    cases["misaligned"] = edit(lambda m: set_(m["tensors"][1], "offset", m["tensors"][1]["offset"] + 4))
    cases["overlap"] = edit(lambda m: set_(m["tensors"][1], "offset", 0))
    cases["gap_in_data"] = edit(lambda m: set_(m["tensors"][1], "offset", m["tensors"][1]["offset"] + 64))
    cases["extent_out"] = edit(lambda m: set_(m["tensors"][-1], "offset", 1 << 40))
    cases["duplicate_tensor_name"] = edit(lambda m: set_(m["tensors"][1], "name", m["tensors"][0]["name"]))
    cases["empty_tensor_name"] = edit(lambda m: set_(m["tensors"][0], "name", ""))
    cases["crc_uppercase"] = edit(lambda m: set_(m["tensors"][0], "crc32", m["tensors"][0]["crc32"].upper()))
    cases["unknown_tensor_ref"] = edit(lambda m: set_(layer(m, "conv")["tensors"][0], "tensor", "nope"))
    cases["empty_tensor_ref"] = edit(lambda m: set_(layer(m, "conv")["tensors"][0], "tensor", ""))
    cases["empty_role"] = edit(lambda m: set_(layer(m, "conv")["tensors"][0], "role", ""))
    cases["duplicate_role"] = edit(lambda m: set_(layer(m, "conv")["tensors"][1], "role", "kernel"))
    cases["tensor_used_twice"] = edit(lambda m: set_(layer(m, "dense")["tensors"][0], "tensor", "conv/kernel"))
    cases["duplicate_layer"] = edit(lambda m: set_(layer(m, "relu"), "name", "bn"))
    cases["inbound_later"] = edit(lambda m: set_(layer(m, "conv"), "inbound", ["dense"]))
    cases["input_not_input"] = edit(lambda m: set_(m["model"], "inputs", ["conv"]))
    cases["output_unknown"] = edit(lambda m: set_(m["model"], "outputs", ["nope"]))
    cases["output_shape_null"] = edit(lambda m: set_(layer(m, "conv"), "output_shape", None))
    cases["output_shape_absent"] = edit(lambda m: layer(m, "bn").pop("output_shape"))
    cases["output_shape_negative"] = edit(lambda m: set_(layer(m, "conv"), "output_shape", [-1, 6, 5]))
    cases["reshape_two_minus_ones"] = edit(lambda m: (set_(layer(m, "relu"), "kind", "reshape"),
                                                      set_(layer(m, "relu"), "attributes", {"target_shape": [-1, -1]})))
    cases["normalize_negative_epsilon"] = edit(lambda m: (set_(layer(m, "relu"), "kind", "normalize"),
                                                          set_(layer(m, "relu"), "attributes", {"epsilon": -1})))
    cases["kernel_size_three"] = edit(lambda m: set_(layer(m, "conv")["attributes"], "kernel_size", [3, 3, 3]))
    cases["filters_zero"] = edit(lambda m: set_(layer(m, "conv")["attributes"], "filters", 0))
    cases["use_bias_int"] = edit(lambda m: set_(layer(m, "conv")["attributes"], "use_bias", 1))
    cases["bn_mode_bad"] = edit(lambda m: set_(layer(m, "bn")["attributes"], "mode", "channel"))
    cases["bn_materialized_twice"] = edit(lambda m: set_(layer(m, "bn")["attributes"], "materialized", ["gamma", "gamma"]))
    cases["bn_materialized_ok"] = edit(lambda m: set_(layer(m, "bn")["attributes"], "materialized", ["beta", "gamma"]))
    cases["bn_epsilon_int"] = edit(lambda m: set_(layer(m, "bn")["attributes"], "epsilon", 1))
    cases["bn_integer_dtype"] = edit(lambda m: (set_(m["tensors"][2], "dtype", "i32")))
    cases["bn_per_activation_on_spatial"] = edit(lambda m: set_(layer(m, "bn")["attributes"], "mode", "per_activation"))
    cases["bn_missing_variance"] = edit(lambda m: set_(layer(m, "bn")["tensors"][3], "role", "var"))
    cases["conventions_wrong"] = edit(lambda m: set_(m["conventions"], "byte_order", "big"))
    cases["format_wrong"] = edit(lambda m: set_(m, "format", "bnx"))
    cases["source_architecture_number"] = edit(lambda m: set_(m["provenance"], "source_architecture", 1))
    cases["extra_not_object"] = edit(lambda m: set_(m["provenance"], "extra", []))
    cases["unmapped_layer"] = edit(lambda m: (set_(layer(m, "relu"), "kind", "unmapped"),
                                              set_(layer(m, "relu"), "attributes", {"class_name": "X", "config": [1, {"a": None}]})))
    cases["unmapped_no_config"] = edit(lambda m: (set_(layer(m, "relu"), "kind", "unmapped"),
                                                  set_(layer(m, "relu"), "attributes", {"class_name": "X"})))
    cases["int_as_2_53"] = edit(lambda m: set_(layer(m, "conv")["attributes"], "filters", 2 ** 53))
    cases["int_above_2_53"] = edit(lambda m: set_(layer(m, "conv")["attributes"], "filters", 2 ** 53 + 1))

    def zero_tensor(m):
        last = m["tensors"][-1]
        end = last["offset"] + last["length"]
        m["tensors"].append({"name": "extra/empty", "dtype": "f32", "shape": [0, 3], "offset": (end + 63) // 64 * 64,
                             "length": 0, "crc32": "00000000"})
        m["model"]["layers"].append({"name": "extra", "kind": "unmapped", "inbound": [], "attributes":
                                     {"class_name": "X", "config": None}, "tensors": [{"role": "w", "tensor": "extra/empty"}]})
    m = copy.deepcopy(base)
    zero_tensor(m)
    end = m["tensors"][-1]["offset"]
    cases["zero_length_tensor"] = build(m, data + b"\0" * (end - len(data)))
    cases["zero_length_tensor_unpadded"] = build(m, data, data_length=end)

    m = copy.deepcopy(base)
    m["tensors"][0]["name"] = "caf\u00e9"
    m["tensors"][1]["name"] = "cafe\u0301"
    layer(m, "conv")["tensors"][0]["tensor"] = "caf\u00e9"
    layer(m, "conv")["tensors"][1]["tensor"] = "cafe\u0301"
    cases["edge_nfc_nfd_tensor_names"] = build(m, data)
    m = copy.deepcopy(base)
    conv, bn, relu = layer(m, "conv"), layer(m, "bn"), layer(m, "relu")
    conv["name"], bn["name"] = "caf\u00e9", "cafe\u0301"
    bn["inbound"], relu["inbound"] = ["caf\u00e9"], ["cafe\u0301"]
    cases["edge_nfc_nfd_layer_names"] = build(m, data)

    cases.update(new_kind_cases())

    paths = []
    for name, content in cases.items():
        if content is None:
            continue
        if isinstance(content, bytes) and not content.startswith(b"\x89BNM"):
            content = build(content, data)
        path = os.path.join(scratch, ("" if name.startswith("edge_") else "edge_") + name + ".bnm")
        with open(path, "wb") as handle:
            handle.write(content)
        paths.append(path)
    # Truncations at interesting places and a few byte flips.
    clean = build(base, data)
    for cut in (0, 1, 7, 8, 11, 12, 63, 64, 65, len(clean) - 1):
        path = os.path.join(scratch, f"edge_cut_{cut}.bnm")
        open(path, "wb").write(clean[:cut])
        paths.append(path)
    for at in (0, 8, 10, 12, 52, 59, 100, len(clean) - 1):
        path = os.path.join(scratch, f"edge_flip_{at}.bnm")
        flipped = bytearray(clean)
        flipped[at] ^= 0x01
        open(path, "wb").write(bytes(flipped))
        paths.append(path)
    return paths


def main():
    sys.setrecursionlimit(20000)
    tool, dump, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
    files = []
    for folder, _, names in sorted(os.walk(BNM_FIXTURES)):
        files += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".bnm")]
    keras_dir = os.path.join(scratch, "keras")
    edge_dir = os.path.join(scratch, "edge")
    os.makedirs(keras_dir, exist_ok=True)
    os.makedirs(edge_dir, exist_ok=True)
    converted = convert_keras(tool, keras_dir)
    edges = edge_cases(edge_dir)
    print(f"{len(files)} .bnm fixtures, {len(converted)} files converted from Keras fixtures, {len(edges)} edge cases")
    check(len(converted) > 0, "no Keras fixture converted")
    for path in files + converted + edges:
        compare(tool, dump, path)
    for line in divergences:
        print("known divergence (not counted):", line)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
