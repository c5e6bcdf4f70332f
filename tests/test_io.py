"""io: save/load round trips, key types, atomic writes, and clear errors for files that are not checkpoints."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import minigan as mg
from minigan import backend, io, nn


def test_nested_round_trip_keeps_types(tmp_path):
    obj = {
        1: "int key", "1": "str key", "nested": {0: [1, 2.5, None, True], "t": (3, ("a", -1e300))},
        "arrays": [np.arange(6, dtype=np.int64).reshape(2, 3), np.float32(0.1), np.zeros(0), np.array(7.5),
                   np.array([True, False])],
        "big": 2**100, "nan": float("nan"), "empty": {}, "tensor": mg.tensor([1.0, 2.0]),
    }
    mg.save(obj, tmp_path / "obj.npz")
    back = mg.load(tmp_path / "obj.npz")
    assert list(back) == [1, "1", "nested", "arrays", "big", "nan", "empty", "tensor"]
    assert back[1] == "int key" and back["1"] == "str key"
    assert back["nested"] == {0: [1, 2.5, None, True], "t": (3, ("a", -1e300))}
    assert isinstance(back["nested"]["t"], tuple) and isinstance(back["nested"][0], list)
    assert type(back["nested"][0][3]) is bool and type(back["big"]) is int and back["big"] == 2**100
    for saved, loaded in zip(obj["arrays"], back["arrays"]):
        assert type(loaded) is type(saved) and loaded.dtype == saved.dtype
        np.testing.assert_array_equal(loaded, saved)
    assert np.isnan(back["nan"]) and back["empty"] == {}
    assert isinstance(back["tensor"], mg.Tensor) and back["tensor"].dtype == np.float32


def test_the_exact_path_is_used_and_overwritten(tmp_path):
    path = tmp_path / "weights.ckpt"
    mg.save({"a": 1}, path)
    mg.save({"a": 2}, str(path))
    assert sorted(os.listdir(tmp_path)) == ["weights.ckpt"]  # no ".npz" appended, no temporary left
    assert mg.load(path) == {"a": 2}


def test_model_state_round_trip_from_the_device(device, tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model(mg.randn(4, 3))
    mg.save(model.state_dict(), tmp_path / "model.npz")
    assert model[0].weight.device == device  # saving copies to the host and leaves the model where it is
    state = mg.load(tmp_path / "model.npz")
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["1.num_batches_tracked"].dtype == np.int64 and state["1.num_batches_tracked"].shape == ()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(state[key], backend.to_numpy(value))


def test_a_plain_npz_loads_as_a_flat_dict(tmp_path):
    weights = {"0.weight": np.ones((2, 3), np.float32), "0.bias": np.zeros(2, np.float32)}
    np.savez(tmp_path / "torch_weights.npz", **weights)
    back = mg.load(tmp_path / "torch_weights.npz")
    assert sorted(back) == ["0.bias", "0.weight"]
    np.testing.assert_array_equal(back["0.weight"], weights["0.weight"])


def test_unsupported_values_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError, match=r"obj\['layers'\]\[1\] is a set"):
        mg.save({"layers": [1, {2}]}, path)
    with pytest.raises(TypeError, match="key 1.5 of type float"):
        mg.save({1.5: 0}, path)
    with pytest.raises(TypeError, match="array of Python objects"):
        mg.save({"o": np.array([{}, None], dtype=object)}, path)
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mg.save({}, tmp_path / "no_such_folder" / "x.npz")


# ---------------------------------------------------------------- atomic writes
def test_a_failed_write_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mg.save({"step": 1, "w": np.ones(3)}, path)
    original = path.read_bytes()

    def crash_midway(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(io.np, "savez", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        mg.save({"step": 2, "w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == original and os.listdir(tmp_path) == ["ckpt.npz"]

    def interrupted_rename(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(io.os, "replace", interrupted_rename)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"step": 3}, path)
    monkeypatch.undo()
    assert mg.load(path)["step"] == 1 and os.listdir(tmp_path) == ["ckpt.npz"]


# ---------------------------------------------------------------- files that are not checkpoints
def test_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing_here.npz"):
        mg.load(tmp_path / "nothing_here.npz")


def _checkpoint_bytes(tmp_path):
    mg.save({"w": np.arange(100, dtype=np.float32), "step": 4}, tmp_path / "good.npz")
    return (tmp_path / "good.npz").read_bytes()


def _corrupt_files(tmp_path):
    good = _checkpoint_bytes(tmp_path)
    flipped = bytearray(good)
    flipped[len(good) // 3] ^= 0xFF  # inside the data of the array: the zip CRC catches it
    yield "truncated.npz", good[: len(good) // 2]
    yield "flipped.npz", bytes(flipped)
    yield "notes.npz", b"these are my notes, not weights\n"
    yield "empty.npz", b""
    yield "model.pkl", pickle.dumps({"w": [1, 2, 3]})
    np.save(tmp_path / "array.npy", np.ones(3))
    yield "array.npy", (tmp_path / "array.npy").read_bytes()
    np.savez(tmp_path / "objects.npz", o=np.array([{"a": 1}], dtype=object))
    yield "objects.npz", (tmp_path / "objects.npz").read_bytes()
    np.savez(tmp_path / "manifest.npz", __manifest__=np.array("{not json"), a0=np.ones(2))
    yield "manifest.npz", (tmp_path / "manifest.npz").read_bytes()
    np.savez(tmp_path / "foreign.npz", __manifest__=np.array('{"format": "something else"}'))
    yield "foreign.npz", (tmp_path / "foreign.npz").read_bytes()
    with zipfile.ZipFile(tmp_path / "hello.zip", "w") as archive:
        archive.writestr("hello.txt", b"hi")
    yield "hello.npz", (tmp_path / "hello.zip").read_bytes()


def test_corrupt_and_foreign_files_raise_checkpoint_error_naming_the_file(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, content in _corrupt_files(tmp_path):
        path = folder / name
        path.write_bytes(content)
        with pytest.raises(io.CheckpointError, match=name) as info:
            mg.load(path)
        assert isinstance(info.value, ValueError), name
    assert issubclass(mg.CheckpointError, ValueError)


def test_a_zip_that_is_not_a_checkpoint_names_the_member(tmp_path):
    with zipfile.ZipFile(tmp_path / "hello.npz", "w") as archive:
        archive.writestr("w.npy", b"")
        archive.writestr("hello.txt", b"hi")
    with pytest.raises(io.CheckpointError, match=r"not a \.npz checkpoint: 'hello.txt' is not a NumPy array"):
        mg.load(tmp_path / "hello.npz")
