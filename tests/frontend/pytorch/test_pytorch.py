"""PyTorch modules through ov.convert_model, compared with PyTorch's own outputs."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov

torch = pytest.importorskip("torch")
nn = torch.nn


class ResidualCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8))
        self.head = nn.Linear(8, 5)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.stem(image)
        x = torch.relu(self.block(x) + x)
        return self.head(x.mean(dim=(2, 3)))


class DepthwiseSeparable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(6, 6, 3, stride=2, padding=1, groups=6)
        self.pointwise = nn.Conv2d(6, 12, 1)
        self.act = nn.ReLU6()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.pointwise(self.act(self.depthwise(x))))


class TwoInputMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(10, 16)
        self.b = nn.Linear(16, 4)

    def forward(self, features: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.b(torch.nn.functional.gelu(self.a(features))) + bias


class LSTMModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(8, 12, batch_first=True)
        self.out = nn.Linear(12, 3)

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        y, _ = self.lstm(sequence)
        return self.out(y)


def _seeded(module_type: type) -> nn.Module:
    torch.manual_seed(0)
    module = module_type()
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):  # non-trivial running statistics
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    return module.eval()


def _run(model: ov.Model, *inputs: np.ndarray) -> list[np.ndarray]:
    compiled = ov.Core().compile_model(model, "TEMPLATE")
    result = compiled(list(inputs))
    return [result[i] for i in range(len(model.outputs))]


def _expect(module: nn.Module, *inputs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(*[torch.from_numpy(x) for x in inputs]).numpy()


def _rand(*shape: int) -> np.ndarray:
    return np.random.default_rng(1).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize(
    ("module_type", "shape"),
    [(ResidualCNN, (2, 3, 12, 12)), (DepthwiseSeparable, (1, 6, 9, 9)), (LSTMModel, (2, 5, 8))],
)
def test_modules_match_pytorch(module_type: type, shape: tuple[int, ...]) -> None:
    module = _seeded(module_type)
    x = _rand(*shape)
    model = ov.convert_model(module, example_input=torch.from_numpy(x))
    np.testing.assert_allclose(_run(model, x)[0], _expect(module, x), rtol=1e-4, atol=1e-5)


def test_transformer_encoder_layer() -> None:
    torch.manual_seed(0)
    module = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, batch_first=True).eval()
    x = _rand(2, 6, 16)
    model = ov.convert_model(module, example_input=(torch.from_numpy(x),))
    np.testing.assert_allclose(_run(model, x)[0], _expect(module, x), rtol=1e-4, atol=1e-5)


def test_input_names_come_from_forward_and_dict_example() -> None:
    module = _seeded(TwoInputMLP)
    f, b = _rand(3, 10), _rand(3, 4)
    model = ov.convert_model(
        module, example_input={"features": torch.from_numpy(f), "bias": torch.from_numpy(b)}
    )
    assert [p.get_any_name() for p in model.inputs] == ["features", "bias"]
    np.testing.assert_allclose(_run(model, f, b)[0], _expect(module, f, b), rtol=1e-4, atol=1e-5)


def test_dynamic_batch_through_input() -> None:
    module = _seeded(ResidualCNN)
    x = _rand(2, 3, 12, 12)
    model = ov.convert_model(module, example_input=torch.from_numpy(x), input=[("image", [-1, 3, 12, 12])])
    assert model.input(0).get_partial_shape() == ov.PartialShape([-1, 3, 12, 12])
    bigger = _rand(5, 3, 12, 12)
    np.testing.assert_allclose(_run(model, bigger)[0], _expect(module, bigger), rtol=1e-4, atol=1e-5)


def test_bounded_batch_and_shape_string() -> None:
    module = _seeded(TwoInputMLP)
    model = ov.convert_model(
        module,
        example_input=(torch.zeros(2, 10), torch.zeros(2, 4)),
        input={"features": "1..8,10", "bias": "?,4"},
    )
    assert model.input("features").get_partial_shape() == ov.PartialShape("1..8,10")
    f, b = _rand(7, 10), _rand(7, 4)
    np.testing.assert_allclose(_run(model, f, b)[0], _expect(module, f, b), rtol=1e-4, atol=1e-5)


def test_static_input_shapes_replace_example_input() -> None:
    module = _seeded(DepthwiseSeparable)
    model = ov.convert_model(module, input=[1, 6, 9, 9])
    x = _rand(1, 6, 9, 9)
    np.testing.assert_allclose(_run(model, x)[0], _expect(module, x), rtol=1e-4, atol=1e-5)


def test_errors_are_clear() -> None:
    module = _seeded(TwoInputMLP)
    with pytest.raises(ValueError, match=r"no argument 'nope'.*\['features', 'bias'\]"):
        ov.convert_model(
            module, example_input=(torch.zeros(1, 10), torch.zeros(1, 4)), input={"nope": [1, 10]}
        )
    with pytest.raises(ValueError, match="needs example_input"):
        ov.convert_model(module)
    with pytest.raises(ValueError, match="needs example_input"):
        ov.Core().read_model(module)
