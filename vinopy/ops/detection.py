"""Detection ops: NonMaxSuppression (opset5, opset9), ROIAlign (opset3, opset9), ROIPooling (opset2)."""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from vinopy.graph.node import Node, Output, attr, const_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import require, require_element_type, same_type
from vinopy.ops.registry import register


def _dims(output: Output, rank: int, what: str) -> list[Dimension] | None:
    """The dimensions of an input of known rank, None when its rank is dynamic."""
    shape = output.get_partial_shape()
    if shape.rank.is_dynamic:
        return None
    require(len(shape) == rank, f"{what} must have rank {rank}, got shape {shape}")
    return list(shape)


def _merge_dim(a: Dimension, b: Dimension, what: str) -> Dimension:
    merged = a.merge(b)
    require(merged is not None, f"{what} do not match: {a} vs {b}")
    return merged


def _scalar(value: np.ndarray | None, default: float) -> float:
    return default if value is None else float(np.asarray(value).reshape(-1)[0])


# --- NonMaxSuppression ---------------------------------------------------------------


def _corners(boxes: np.ndarray, encoding: str) -> np.ndarray:
    """Boxes as [y_min, x_min, y_max, x_max] from corner (either diagonal) or center encoding."""
    if encoding == "center":
        center, size = boxes[..., [1, 0]], boxes[..., [3, 2]]
        return np.concatenate([center - size / 2, center + size / 2], axis=-1)
    return np.concatenate(
        [np.minimum(boxes[..., :2], boxes[..., 2:]), np.maximum(boxes[..., :2], boxes[..., 2:])], axis=-1
    )


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Intersection over union of one corner box with each of others; 0 for empty boxes."""
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(others[:, 2:] - others[:, :2], axis=1)
    low, high = np.maximum(box[:2], others[:, :2]), np.minimum(box[2:], others[:, 2:])
    inter = np.prod(np.clip(high - low, 0, None), axis=1)
    union = area + areas - inter
    valid = (area > 0) & (areas > 0)
    return np.where(valid, inter / np.where(valid, union, 1), 0.0)


def _select_class(
    boxes: np.ndarray,
    scores: np.ndarray,
    max_boxes: int,
    iou_threshold: float,
    score_threshold: float,
    sigma: float,
) -> list[tuple[int, float]]:
    """Greedy (soft) NMS of one batch and class: the selected (box index, score) in selection order.

    A candidate is compared with the boxes selected since it was last scored; it is kept when no
    comparison lowered its score, re-queued with its decayed score otherwise, and dropped when its
    score falls to score_threshold. Hard NMS (sigma 0) drops a candidate whose overlap reaches
    iou_threshold; soft NMS multiplies its score by exp(-0.5 iou^2 / sigma) per overlap instead.
    """
    soft = sigma > 0
    scale = -0.5 / sigma if soft else 0.0
    queue = [(-float(s), int(i), 0) for i, s in enumerate(scores) if s > score_threshold]
    heapq.heapify(queue)  # best score first, lower box index first among equals
    selected: list[tuple[int, float]] = []
    while queue and len(selected) < max_boxes:
        neg_score, index, begin = heapq.heappop(queue)
        score = -neg_score
        if len(selected) > begin:
            iou = _iou(boxes[index], boxes[[i for i, _ in selected[begin:]]])
            if not soft and np.any(iou >= iou_threshold):
                continue
            score *= float(np.prod(np.exp(scale * iou * iou)))
        if score == -neg_score:
            selected.append((index, score))
        elif score > score_threshold:
            heapq.heappush(queue, (-score, index, len(selected)))
    return selected


@register
class NonMaxSuppression5(Node):
    """NonMaxSuppression-5: per batch and class, boxes selected by (soft) NMS.

    Outputs selected_indices [K, 3] (batch, class, box), selected_scores [K, 3] (batch, class,
    score) and valid_outputs [1] = K; K is known only at run time, bounded by
    batches * classes * min(boxes, max_output_boxes_per_class).
    """

    type_name, version = "NonMaxSuppression", "opset5"
    inputs_spec = (
        "boxes",
        "scores",
        "max_output_boxes_per_class?",
        "iou_threshold?",
        "score_threshold?",
        "soft_nms_sigma?",
    )
    box_encoding: str = attr("corner")
    sort_result_descending: bool = attr(True)
    output_type: Type = attr(Type.i64)

    def infer(self, boxes: Output, scores: Output, *limits: Output) -> list[tuple[Type, PartialShape]]:
        require(
            self.box_encoding in ("corner", "center"),
            f"box_encoding must be 'corner' or 'center', got '{self.box_encoding}'",
        )
        require(
            self.output_type in (Type.i32, Type.i64),
            f"output_type must be i32 or i64, got {self.output_type}",
        )
        et = require_element_type(same_type(boxes, scores, what="boxes and scores"), "real", "boxes")
        for out, what in zip(
            limits, ("max_output_boxes_per_class", "iou_threshold", "score_threshold", "soft_nms_sigma")
        ):
            shape = out.get_partial_shape()
            require(shape.rank.is_dynamic or len(shape) <= 1, f"{what} must be a scalar, got shape {shape}")
        count = self._count_bound(boxes, scores, limits[0] if limits else None)
        return [
            (self.output_type, PartialShape([count, 3])),
            (et, PartialShape([count, 3])),
            (self.output_type, PartialShape([1])),
        ]

    def _count_bound(self, boxes: Output, scores: Output, max_output: Output | None) -> Dimension:
        box_dims, score_dims = _dims(boxes, 3, "boxes"), _dims(scores, 3, "scores")
        if box_dims is not None:
            require(
                box_dims[2].compatible(4),
                f"boxes must have 4 coordinates in the last axis, got {box_dims[2]}",
            )
        if box_dims is None or score_dims is None:
            return Dimension()
        batches = _merge_dim(box_dims[0], score_dims[0], "boxes and scores batch dimensions")
        count = _merge_dim(box_dims[1], score_dims[2], "boxes and scores numbers of boxes")
        limit = 0 if max_output is None else const_value(max_output)
        if limit is None or not (batches.is_static and count.is_static and score_dims[1].is_static):
            return Dimension()
        per_class = min(count.get_length(), int(np.asarray(limit).reshape(-1)[0]))
        return Dimension(0, batches.get_length() * score_dims[1].get_length() * max(per_class, 0))

    def evaluate(self, boxes: np.ndarray, scores: np.ndarray, *limits: np.ndarray) -> list[np.ndarray]:
        values = list(limits) + [None] * (4 - len(limits))
        max_boxes = int(_scalar(values[0], 0))
        iou_threshold, score_threshold, sigma = (_scalar(v, 0.0) for v in values[1:])
        corners = _corners(boxes.astype(np.float64), self.box_encoding)
        rows = [
            (b, c, index, score)
            for b in range(scores.shape[0])
            for c in range(scores.shape[1])
            for index, score in _select_class(
                corners[b], scores[b, c], max_boxes, iou_threshold, score_threshold, sigma
            )
        ]
        if self.sort_result_descending:
            rows.sort(key=lambda row: -row[3])  # stable: ties keep batch, class, selection order
        table = np.array([row[:3] for row in rows], np.int64).reshape(-1, 3)
        selected_scores = np.array([[b, c, s] for b, c, _, s in rows], np.float64).reshape(-1, 3)
        dtype = self.output_type.to_dtype()
        return [table.astype(dtype), selected_scores.astype(boxes.dtype), np.array([len(rows)], dtype)]


@register
class NonMaxSuppression9(NonMaxSuppression5):
    """NonMaxSuppression-9: the same selection as version 5."""

    type_name, version = "NonMaxSuppression", "opset9"


# --- ROIAlign ------------------------------------------------------------------------

# aligned_mode -> (shift added before scaling, offset subtracted after, minimum ROI size)
_ALIGNED_MODES = {
    "asymmetric": (0.0, 0.0, 1.0),
    "half_pixel_for_nn": (0.0, 0.5, 0.0),
    "half_pixel": (0.5, 0.5, 0.0),
}


def _bilinear_taps(coords: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Low/high sample indices and weights along one axis; weights are 0 outside [-1, length]."""
    inside = (coords >= -1.0) & (coords <= length)
    coords = np.clip(coords, 0.0, None)
    low = np.minimum(np.floor(coords).astype(np.int64), length - 1)
    high = np.minimum(low + 1, length - 1)
    frac = np.where(low >= length - 1, 0.0, coords - low)
    return low, high, np.where(inside, 1.0 - frac, 0.0), np.where(inside, frac, 0.0)


def _roi_samples(start: float, size: float, pooled: int, ratio: int) -> np.ndarray:
    """Sample coordinates [pooled, grid] of one ROI axis: a grid per bin, centred in its cells."""
    bin_size = size / pooled
    grid = ratio if ratio > 0 else int(np.ceil(bin_size))
    cells = (np.arange(grid) + 0.5) * bin_size / grid
    return start + np.arange(pooled)[:, None] * bin_size + cells[None, :]


@register
class ROIAlign3(Node):
    """ROIAlign-3: average or max of bilinear samples over each bin of each ROI (x1, y1, x2, y2)."""

    type_name, version = "ROIAlign", "opset3"
    factory_name = "roi_align"
    inputs_spec = ("data", "rois", "batch_indices")
    pooled_h: int = attr()
    pooled_w: int = attr()
    sampling_ratio: int = attr()
    spatial_scale: float = attr()
    mode: str = attr()

    aligned = "asymmetric"

    def infer(self, data: Output, rois: Output, batch_indices: Output) -> tuple[Type, PartialShape]:
        require(self.mode in ("avg", "max"), f"mode must be 'avg' or 'max', got '{self.mode}'")
        require(
            self.pooled_h > 0 and self.pooled_w > 0,
            f"pooled_h and pooled_w must be positive, got {self.pooled_h}, {self.pooled_w}",
        )
        require(self.sampling_ratio >= 0, f"sampling_ratio must be >= 0, got {self.sampling_ratio}")
        require(self.spatial_scale > 0, f"spatial_scale must be positive, got {self.spatial_scale}")
        et = require_element_type(same_type(data, rois, what="data and rois"), "real", "data")
        require_element_type(batch_indices.get_element_type(), "integer", "batch_indices")
        data_dims, roi_dims = _dims(data, 4, "data"), _dims(rois, 2, "rois")
        index_dims = _dims(batch_indices, 1, "batch_indices")
        count = Dimension() if roi_dims is None else roi_dims[0]
        if roi_dims is not None:
            require(roi_dims[1].compatible(4), f"rois must have 4 coordinates per ROI, got {roi_dims[1]}")
        if index_dims is not None:
            count = _merge_dim(count, index_dims[0], "numbers of rois and batch_indices")
        channels = Dimension() if data_dims is None else data_dims[1]
        return et, PartialShape([count, channels, self.pooled_h, self.pooled_w])

    def evaluate(self, data: np.ndarray, rois: np.ndarray, batch_indices: np.ndarray) -> np.ndarray:
        shift, offset, min_size = _ALIGNED_MODES[self.aligned]
        height, width = data.shape[2:]
        out = np.empty((len(rois), data.shape[1], self.pooled_h, self.pooled_w), np.float64)
        for r, (roi, batch) in enumerate(zip(rois.astype(np.float64), batch_indices)):
            x1, y1, x2, y2 = (roi + shift) * self.spatial_scale - offset
            ys = _roi_samples(y1, max(y2 - y1, min_size), self.pooled_h, self.sampling_ratio)
            xs = _roi_samples(x1, max(x2 - x1, min_size), self.pooled_w, self.sampling_ratio)
            if ys.size == 0 or xs.size == 0:  # an empty ROI has no samples: OpenVINO gives 0
                out[r] = 0.0
                continue
            out[r] = self._pool(
                data[int(batch)].astype(np.float64), _bilinear_taps(ys, height), _bilinear_taps(xs, width)
            )
        return out.astype(data.dtype)

    def _pool(self, image: np.ndarray, y_taps: tuple, x_taps: tuple) -> np.ndarray:
        """Bilinear samples [C, PH, gh, PW, gw] of one ROI reduced over each bin."""
        y_low, y_high, wy_low, wy_high = y_taps
        x_low, x_high, wx_low, wx_high = x_taps
        samples = 0.0
        for ys, wy in ((y_low, wy_low), (y_high, wy_high)):
            rows = image[:, ys]  # [C, PH, gh, W]
            for xs, wx in ((x_low, wx_low), (x_high, wx_high)):
                weight = wy[:, :, None, None] * wx[None, None, :, :]
                samples = samples + rows[..., xs] * weight
        if self.mode == "avg":
            return samples.mean(axis=(2, 4))
        return np.maximum(samples.max(axis=(2, 4)), 0.0)  # OpenVINO's max starts from 0


@register
class ROIAlign9(ROIAlign3):
    """ROIAlign-9: adds aligned_mode, the pixel model of the ROI coordinates."""

    type_name, version = "ROIAlign", "opset9"
    aligned_mode: str = attr("asymmetric")

    @property
    def aligned(self) -> str:  # type: ignore[override]
        return self.aligned_mode

    def infer(self, data: Output, rois: Output, batch_indices: Output) -> tuple[Type, PartialShape]:
        require(
            self.aligned_mode in _ALIGNED_MODES,
            f"aligned_mode must be one of {list(_ALIGNED_MODES)}, got '{self.aligned_mode}'",
        )
        return super().infer(data, rois, batch_indices)


# --- ROIPooling ----------------------------------------------------------------------


@register
class ROIPooling(Node):
    """ROIPooling-2: max over integer bins (method max) or bilinear resampling (method bilinear)
    of each ROI (batch, x1, y1, x2, y2)."""

    type_name, version = "ROIPooling", "opset2"
    factory_name = "roi_pooling"
    inputs_spec = ("input", "coords")
    output_roi: list[int] = attr()
    spatial_scale: float = attr()
    method: str = attr("max")

    @classmethod
    def factory(
        cls,
        input: Any,
        coords: Any,
        output_roi: list[int] | None = None,
        spatial_scale: float = 1.0,
        method: str = "max",
        name: str | None = None,
        *,
        output_size: list[int] | None = None,
    ) -> Node:
        size = output_roi if output_roi is not None else output_size
        require(size is not None, "roi_pooling needs output_roi")
        return cls(input, coords, output_roi=size, spatial_scale=spatial_scale, method=method, name=name)

    def infer(self, data: Output, coords: Output) -> tuple[Type, PartialShape]:
        require(
            self.method in ("max", "bilinear"), f"method must be 'max' or 'bilinear', got '{self.method}'"
        )
        require(
            len(self.output_roi) == 2 and min(self.output_roi) > 0,
            f"output_roi must be two positive sizes, got {self.output_roi}",
        )
        et = require_element_type(same_type(data, coords, what="input and coords"), "real", "input")
        data_dims, roi_dims = _dims(data, 4, "input"), _dims(coords, 2, "coords")
        if roi_dims is not None:
            require(roi_dims[1].compatible(5), f"coords must hold 5 values per ROI, got {roi_dims[1]}")
        count = Dimension() if roi_dims is None else roi_dims[0]
        channels = Dimension() if data_dims is None else data_dims[1]
        return et, PartialShape([count, channels, *self.output_roi])

    def evaluate(self, data: np.ndarray, coords: np.ndarray) -> np.ndarray:
        pooled_h, pooled_w = self.output_roi
        out = np.empty((len(coords), data.shape[1], pooled_h, pooled_w), np.float64)
        for r, roi in enumerate(coords.astype(np.float64)):
            image = data[int(roi[0])].astype(np.float64)
            if self.method == "max":
                out[r] = self._max_pool(image, roi[1:], pooled_h, pooled_w)
            else:
                out[r] = self._bilinear(image, roi[1:], pooled_h, pooled_w)
        return out.astype(data.dtype)

    def _max_pool(self, image: np.ndarray, roi: np.ndarray, pooled_h: int, pooled_w: int) -> np.ndarray:
        height, width = image.shape[1:]
        x1, y1, x2, y2 = np.round(roi * self.spatial_scale).astype(np.int64)
        roi_h, roi_w = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
        out = np.zeros((image.shape[0], pooled_h, pooled_w))
        for ph in range(pooled_h):
            h0 = min(max(y1 + int(np.floor(ph * roi_h / pooled_h)), 0), height)
            h1 = min(max(y1 + int(np.ceil((ph + 1) * roi_h / pooled_h)), 0), height)
            for pw in range(pooled_w):
                w0 = min(max(x1 + int(np.floor(pw * roi_w / pooled_w)), 0), width)
                w1 = min(max(x1 + int(np.ceil((pw + 1) * roi_w / pooled_w)), 0), width)
                if h1 > h0 and w1 > w0:
                    out[:, ph, pw] = image[:, h0:h1, w0:w1].max(axis=(1, 2))
        return out

    def _bilinear(self, image: np.ndarray, roi: np.ndarray, pooled_h: int, pooled_w: int) -> np.ndarray:
        """Coordinates are normalized to [0, 1]; samples span the ROI corner to corner."""
        height, width = image.shape[1:]
        x1, y1, x2, y2 = roi

        def axis(start: float, end: float, pooled: int, length: int) -> np.ndarray:
            step = (end - start) * (length - 1) / (pooled - 1) if pooled > 1 else 0.0
            base = start * (length - 1) if pooled > 1 else (start + end) * (length - 1) / 2
            return base + np.arange(pooled) * step

        ys, xs = axis(y1, y2, pooled_h, height), axis(x1, x2, pooled_w, width)
        inside = ((ys >= 0) & (ys <= height - 1))[:, None] & ((xs >= 0) & (xs <= width - 1))[None, :]
        y0 = np.clip(np.floor(ys).astype(np.int64), 0, height - 1)
        x0 = np.clip(np.floor(xs).astype(np.int64), 0, width - 1)
        y1i, x1i = np.minimum(y0 + 1, height - 1), np.minimum(x0 + 1, width - 1)
        fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
        top = image[:, y0][:, :, x0] * (1 - fx) + image[:, y0][:, :, x1i] * fx
        bottom = image[:, y1i][:, :, x0] * (1 - fx) + image[:, y1i][:, :, x1i] * fx
        return np.where(inside, top * (1 - fy) + bottom * fy, 0.0)
