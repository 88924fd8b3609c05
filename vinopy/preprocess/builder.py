"""PrePostProcessor: describes how user tensors differ from model inputs/outputs and builds the ops
that convert between them (element type, layout, color order, resize, mean/scale, crop, pad)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np

from vinopy import opset13 as ops
from vinopy.graph import Layout, Model, Output, PartialShape, Tensor, Type, layout_helpers


class ColorFormat(enum.Enum):
    UNDEFINED = 0
    NV12_SINGLE_PLANE = 1
    NV12_TWO_PLANES = 2
    I420_SINGLE_PLANE = 3
    I420_THREE_PLANES = 4
    RGB = 5
    BGR = 6
    GRAY = 7
    RGBX = 8
    BGRX = 9


class ResizeAlgorithm(enum.Enum):
    RESIZE_LINEAR = 0
    RESIZE_CUBIC = 1
    RESIZE_NEAREST = 2
    RESIZE_BILINEAR_PILLOW = 3
    RESIZE_BICUBIC_PILLOW = 4


class PaddingMode(enum.Enum):
    CONSTANT = 0
    REFLECT = 1
    SYMMETRIC = 2


_INTERPOLATE_MODE = {
    ResizeAlgorithm.RESIZE_LINEAR: "linear",
    ResizeAlgorithm.RESIZE_CUBIC: "cubic",
    ResizeAlgorithm.RESIZE_NEAREST: "nearest",
    ResizeAlgorithm.RESIZE_BILINEAR_PILLOW: "bilinear_pillow",
    ResizeAlgorithm.RESIZE_BICUBIC_PILLOW: "bicubic_pillow",
}


@dataclass
class _State:
    """The tensor as the steps see it while the graph is built."""

    output: Output
    layout: Layout
    color: ColorFormat

    @property
    def element_type(self) -> Type:
        return self.output.get_element_type()

    @property
    def shape(self) -> PartialShape:
        return self.output.get_partial_shape()


Step = Callable[[_State, "_Context"], _State]


@dataclass
class _Context:
    """What the steps know about the model's side of the port."""

    model_layout: Layout
    model_shape: PartialShape
    model_type: Type


def _channel_axis(state: _State, what: str) -> int:
    if not layout_helpers.has_channels(state.layout):
        raise ValueError(
            f"preprocess {what}: the tensor layout {state.layout} has no 'C' dimension; "
            "set it with tensor().set_layout() or model().set_layout()"
        )
    return layout_helpers.channels_idx(state.layout) % len(state.shape)


def _per_channel(values: Sequence[float] | float, state: _State, what: str) -> Any:
    array = np.atleast_1d(np.asarray(values, dtype=np.float32))
    if array.size == 1:
        return ops.constant(array.reshape(()).astype(state.element_type.to_dtype()))
    axis = _channel_axis(state, what)
    channels = state.shape[axis]
    if channels.is_static and channels.get_length() != array.size:
        raise ValueError(f"preprocess {what}: {array.size} values given for {channels} channels")
    target = [1] * len(state.shape)
    target[axis] = array.size
    return ops.constant(array.reshape(target).astype(state.element_type.to_dtype()))


def _require_float(state: _State, what: str) -> None:
    if not state.element_type.is_real():
        raise ValueError(
            f"preprocess {what} needs a floating-point tensor, got "
            f"{state.element_type.get_type_name()}: add convert_element_type(Type.f32) first"
        )


def _permutation(src: Layout, dst: Layout, rank: int) -> list[int]:
    names = [n for n in "NCDHW" if src.has_name(n) and dst.has_name(n)]
    order = list(range(rank))
    src_idx = [src.get_index_by_name(n) % rank for n in names]
    dst_idx = [dst.get_index_by_name(n) % rank for n in names]
    for s, d in zip(src_idx, dst_idx):
        order[d] = s
    if sorted(order) != list(range(rank)):
        raise ValueError(f"cannot convert layout {src} to {dst}")
    return order


def _convert_type(element_type: Any) -> Step:
    def step(state: _State, ctx: _Context) -> _State:
        et = Type.resolve(element_type)
        if state.element_type == et:
            return state
        return _State(ops.convert(state.output, et).output(0), state.layout, state.color)

    return step


def _transpose_to(dst: Layout | Sequence[int]) -> Step:
    def step(state: _State, ctx: _Context) -> _State:
        rank = len(state.shape)
        if isinstance(dst, Layout):
            if state.layout.empty():
                raise ValueError(
                    f"convert_layout to {dst}: the source layout is unknown; set tensor().set_layout()"
                )
            order = _permutation(state.layout, dst, rank)
            new_layout = dst
        else:
            order = list(dst)
            new_layout = (
                Layout("".join(_layout_name(state.layout, i, rank) for i in order))
                if not state.layout.empty()
                else Layout()
            )
        if order == list(range(rank)):
            return _State(state.output, new_layout, state.color)
        out = ops.transpose(state.output, ops.constant(np.asarray(order, dtype=np.int64))).output(0)
        return _State(out, new_layout, state.color)

    return step


def _layout_name(layout: Layout, index: int, rank: int) -> str:
    for name in "NCDHW":
        if layout.has_name(name) and layout.get_index_by_name(name) % rank == index:
            return name
    return "?"


class PreProcessSteps:
    """``ppp.input().preprocess()``: conversions applied in the order they are added."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def _add(self, step: Step) -> PreProcessSteps:
        self.steps.append(step)
        return self

    def convert_element_type(self, type: Any = None) -> PreProcessSteps:
        if type is None:  # to the model's element type
            return self._add(lambda state, ctx: _convert_type(ctx.model_type)(state, ctx))
        return self._add(_convert_type(type))

    def mean(self, value: float | Sequence[float]) -> PreProcessSteps:
        def step(state: _State, ctx: _Context) -> _State:
            _require_float(state, "mean")
            return _State(
                ops.subtract(state.output, _per_channel(value, state, "mean")).output(0),
                state.layout,
                state.color,
            )

        return self._add(step)

    def scale(self, value: float | Sequence[float]) -> PreProcessSteps:
        def step(state: _State, ctx: _Context) -> _State:
            _require_float(state, "scale")
            return _State(
                ops.divide(state.output, _per_channel(value, state, "scale")).output(0),
                state.layout,
                state.color,
            )

        return self._add(step)

    def convert_layout(self, dst: Any = None) -> PreProcessSteps:
        if dst is None:
            return self._add(lambda s, ctx: _transpose_to(ctx.model_layout)(s, ctx))
        return self._add(_transpose_to(_as_layout(dst)))

    def reverse_channels(self) -> PreProcessSteps:
        def step(state: _State, ctx: _Context) -> _State:
            axis = _channel_axis(state, "reverse_channels")
            channels = state.shape[axis]
            if channels.is_dynamic:
                raise ValueError("reverse_channels needs a static number of channels")
            index = ops.constant(np.arange(channels.get_length() - 1, -1, -1, dtype=np.int64))
            out = ops.gather(state.output, index, ops.constant(np.int64(axis))).output(0)
            return _State(out, state.layout, state.color)

        return self._add(step)

    def convert_color(self, dst_format: ColorFormat) -> PreProcessSteps:
        def step(state: _State, ctx: _Context) -> _State:
            pair = (state.color, dst_format)
            if state.color == dst_format:
                return state
            if pair in ((ColorFormat.RGB, ColorFormat.BGR), (ColorFormat.BGR, ColorFormat.RGB)):
                flipped = PreProcessSteps().reverse_channels().steps[0](state, ctx)
                return _State(flipped.output, state.layout, dst_format)
            raise NotImplementedError(
                f"convert_color from {state.color.name} to {dst_format.name} is not supported "
                "(RGB <-> BGR is)"
            )

        return self._add(step)

    def resize(
        self, alg: ResizeAlgorithm, dst_height: int | None = None, dst_width: int | None = None
    ) -> PreProcessSteps:
        def step(state: _State, ctx: _Context) -> _State:
            layout = state.layout
            if not (layout_helpers.has_height(layout) and layout_helpers.has_width(layout)):
                raise ValueError(f"resize needs a tensor layout with H and W, got {layout}")
            rank = len(state.shape)
            axes = [layout_helpers.height_idx(layout) % rank, layout_helpers.width_idx(layout) % rank]
            sizes = [dst_height, dst_width] if dst_height is not None else _model_spatial(ctx)
            out = ops.interpolate(
                state.output,
                ops.constant(np.asarray(sizes, dtype=np.int64)),
                _INTERPOLATE_MODE[alg],
                "sizes",
                axes=ops.constant(np.asarray(axes, dtype=np.int64)),
                coordinate_transformation_mode="tf_half_pixel_for_nn"
                if alg == ResizeAlgorithm.RESIZE_NEAREST
                else "half_pixel",
            ).output(0)
            return _State(out, state.layout, state.color)

        return self._add(step)

    def crop(self, begin: Sequence[int], end: Sequence[int]) -> PreProcessSteps:
        def step(state: _State, ctx: _Context) -> _State:
            if len(begin) != len(state.shape) or len(end) != len(state.shape):
                raise ValueError(
                    f"crop: begin {list(begin)} and end {list(end)} need {len(state.shape)} values"
                )
            out = ops.slice(
                state.output,
                np.asarray(begin, np.int64),
                np.asarray(end, np.int64),
                np.ones(len(begin), np.int64),
            ).output(0)
            return _State(out, state.layout, state.color)

        return self._add(step)

    def pad(
        self, pads_begin: Sequence[int], pads_end: Sequence[int], value: Any, mode: PaddingMode
    ) -> PreProcessSteps:
        def step(state: _State, ctx: _Context) -> _State:
            fill = np.asarray(value, dtype=state.element_type.to_dtype())
            if fill.size > 1:
                raise NotImplementedError("pad with per-channel values is not supported; give one value")
            out = ops.pad(
                state.output,
                np.asarray(pads_begin, np.int64),
                np.asarray(pads_end, np.int64),
                mode.name.lower(),
                fill.reshape(()),
            ).output(0)
            return _State(out, state.layout, state.color)

        return self._add(step)

    def custom(self, function: Callable[[Output], Any]) -> PreProcessSteps:
        def step(state: _State, ctx: _Context) -> _State:
            result = function(state.output)
            out = result if isinstance(result, Output) else result.output(0)
            return _State(out, state.layout, state.color)

        return self._add(step)


def _model_spatial(ctx: _Context) -> list[int]:
    layout, shape = ctx.model_layout, ctx.model_shape
    if not (layout_helpers.has_height(layout) and layout_helpers.has_width(layout)):
        raise ValueError("resize without sizes needs the model layout (model().set_layout) with H and W")
    rank = len(shape)
    dims = [shape[layout_helpers.height_idx(layout) % rank], shape[layout_helpers.width_idx(layout) % rank]]
    if any(d.is_dynamic for d in dims):
        raise ValueError(f"resize without sizes needs static model H and W, the model has {shape}")
    return [d.get_length() for d in dims]


class PostProcessSteps:
    """``ppp.output().postprocess()``."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def convert_element_type(self, type: Any = None) -> PostProcessSteps:
        self.steps.append(_convert_type(type))
        return self

    def convert_layout(self, dst: Any) -> PostProcessSteps:
        self.steps.append(_transpose_to(_as_layout(dst)))
        return self

    def custom(self, function: Callable[[Output], Any]) -> PostProcessSteps:
        self.steps.append(PreProcessSteps().custom(function).steps[0])
        return self


def _as_layout(value: Any) -> Layout:
    return Layout(value) if isinstance(value, str) else value


@dataclass
class _LayoutInfo:
    """What every tensor and model description can set: the layout."""

    layout: Layout | None = None

    def set_layout(self, layout: Any) -> Self:
        self.layout = _as_layout(layout)
        return self


@dataclass
class _TensorInfo(_LayoutInfo):
    """What input and output tensor descriptions share: layout and element type."""

    element_type: Type | None = None

    def set_element_type(self, type: Any) -> Self:
        self.element_type = Type.resolve(type)
        return self


@dataclass
class InputTensorInfo(_TensorInfo):
    shape: PartialShape | None = None
    color: ColorFormat = ColorFormat.UNDEFINED
    spatial: tuple[int, int] | None = None
    spatial_dynamic: bool = False

    def set_shape(self, shape: Any) -> InputTensorInfo:
        self.shape = PartialShape(shape)
        return self

    def set_color_format(self, format: ColorFormat, sub_names: Sequence[str] = ()) -> InputTensorInfo:
        self.color = format
        return self

    def set_spatial_static_shape(self, height: int, width: int) -> InputTensorInfo:
        self.spatial = (int(height), int(width))
        return self

    def set_spatial_dynamic_shape(self) -> InputTensorInfo:
        self.spatial_dynamic = True
        return self

    def set_memory_type(self, memory_type: str) -> InputTensorInfo:
        return self

    def set_from(self, runtime_tensor: Any) -> InputTensorInfo:
        array = runtime_tensor.data if isinstance(runtime_tensor, Tensor) else np.asarray(runtime_tensor)
        self.element_type = Type.resolve(array.dtype)
        self.shape = PartialShape(list(array.shape))
        return self


class InputModelInfo(_LayoutInfo):
    pass


@dataclass
class InputInfo:
    _tensor: InputTensorInfo = field(default_factory=InputTensorInfo)
    _steps: PreProcessSteps = field(default_factory=PreProcessSteps)
    _model: InputModelInfo = field(default_factory=InputModelInfo)

    def tensor(self) -> InputTensorInfo:
        return self._tensor

    def preprocess(self) -> PreProcessSteps:
        return self._steps

    def model(self) -> InputModelInfo:
        return self._model


class OutputTensorInfo(_TensorInfo):
    pass


class OutputModelInfo(_LayoutInfo):
    pass


@dataclass
class OutputInfo:
    _tensor: OutputTensorInfo = field(default_factory=OutputTensorInfo)
    _steps: PostProcessSteps = field(default_factory=PostProcessSteps)
    _model: OutputModelInfo = field(default_factory=OutputModelInfo)

    def tensor(self) -> OutputTensorInfo:
        return self._tensor

    def postprocess(self) -> PostProcessSteps:
        return self._steps

    def model(self) -> OutputModelInfo:
        return self._model


class PrePostProcessor:
    """``PrePostProcessor(model)``; describe inputs/outputs, then ``build()`` returns the model with the
    conversions built into its graph."""

    def __init__(self, model: Model) -> None:
        self._model = model
        self._inputs: dict[int, InputInfo] = {}
        self._outputs: dict[int, OutputInfo] = {}

    def input(self, key: Any = None) -> InputInfo:
        index = self._model.inputs.index(self._model.input(key))
        return self._inputs.setdefault(index, InputInfo())

    def output(self, key: Any = None) -> OutputInfo:
        index = self._model.outputs.index(self._model.output(key))
        return self._outputs.setdefault(index, OutputInfo())

    def build(self) -> Model:
        """Build the conversions into the model, in place as OpenVINO does, and return it."""
        model = self._model
        for index, info in self._inputs.items():
            model.replace_parameter(index, _build_input(model.get_parameters()[index], info))
        for index, info in self._outputs.items():
            _build_output(model.get_results()[index], info)
        model.validate_nodes_and_infer_types()
        return model

    def __str__(self) -> str:
        return f"PrePostProcessor: {len(self._inputs)} input(s), {len(self._outputs)} output(s) configured"


def _build_input(param: Any, info: InputInfo) -> Any:
    tensor, model_info = info.tensor(), info.model()
    model_layout = model_info.layout or param.get_layout()
    tensor_layout = tensor.layout or model_layout
    model_shape = param.get_partial_shape()
    ctx = _Context(model_layout, model_shape, param.get_element_type())
    shape = tensor.shape or _tensor_shape(model_shape, model_layout, tensor_layout, tensor)
    element_type = tensor.element_type or param.get_element_type()
    new_param = ops.parameter(shape, element_type, name=param.get_friendly_name())
    state = _State(new_param.output(0), tensor_layout, tensor.color)
    for step in info.preprocess().steps:
        state = step(state, ctx)
    if state.element_type != param.get_element_type():
        state = _convert_type(param.get_element_type())(state, ctx)
    if not model_layout.empty() and not state.layout.empty() and state.layout != model_layout:
        state = _transpose_to(model_layout)(state, ctx)
    if not model_shape.compatible(state.shape):
        raise ValueError(
            f"preprocessing of input '{param.get_friendly_name()}' produces shape {state.shape}, "
            f"the model expects {model_shape}"
        )
    names = param.output(0).get_names()
    param.output(0).replace(state.output)
    param.output(0).set_names(set())
    new_param.output(0).set_names(names)
    if not tensor_layout.empty():
        new_param.set_layout(tensor_layout)
    return new_param


def _tensor_shape(
    model_shape: PartialShape, model_layout: Layout, tensor_layout: Layout, tensor: InputTensorInfo
) -> PartialShape:
    """The user tensor's shape: the model's, permuted to the tensor layout, with spatial dims from resize."""
    if model_shape.rank.is_dynamic:
        return model_shape
    rank = len(model_shape)
    dims = list(model_shape)
    if not model_layout.empty() and not tensor_layout.empty() and model_layout != tensor_layout:
        order = _permutation(model_layout, tensor_layout, rank)
        dims = [dims[i] for i in order]
    if tensor.spatial or tensor.spatial_dynamic:
        if not (layout_helpers.has_height(tensor_layout) and layout_helpers.has_width(tensor_layout)):
            raise ValueError("spatial shapes need a tensor layout with H and W")
        h = layout_helpers.height_idx(tensor_layout) % rank
        w = layout_helpers.width_idx(tensor_layout) % rank
        dims[h], dims[w] = tensor.spatial if tensor.spatial else (-1, -1)
    return PartialShape(dims)


def _build_output(result: Any, info: OutputInfo) -> None:
    source = result.input_value(0)
    model_layout = info.model().layout or result.get_layout()
    state = _State(source, model_layout, ColorFormat.UNDEFINED)
    ctx = _Context(model_layout, source.get_partial_shape(), source.get_element_type())
    for step in info.postprocess().steps:
        state = step(state, ctx)
    tensor = info.tensor()
    if tensor.element_type is not None and state.element_type != tensor.element_type:
        state = _convert_type(tensor.element_type)(state, ctx)
    if tensor.layout is not None and not state.layout.empty() and state.layout != tensor.layout:
        state = _transpose_to(tensor.layout)(state, ctx)
    if state.output == source:
        return
    names = source.get_names()
    source.set_names(set())
    result.input(0).replace_source_output(state.output)
    result.validate_and_infer_types()
    state.output.set_names(names)
    if tensor.layout is not None:
        result.set_layout(tensor.layout)
