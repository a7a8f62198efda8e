"""Storing and loading networks: the arrays as one uncompressed .npz in a BinaryField.

Uncompressed .npz loads as fast as the disk/database delivers the bytes (a 1M-node network
is ~50 MB); it works the same on SQLite and PostgreSQL (bytea)."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from django.db import transaction

from .engine import Network
from .errors import BadOsmFile, CircleError
from .models import RoadNetwork, RoadNetworkData
from .osm import RoadImport, read_roads

FORMAT = 1
_cache: OrderedDict[tuple[int, str], Network] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 4


def to_npz(net: Network) -> bytes:
    buf = io.BytesIO()
    np.savez(
        buf,
        format=np.array([FORMAT]),
        lat=net.lat,
        lon=net.lon,
        indptr=net.indptr,
        indices=net.indices,
        weights=net.weights,
        osm_ids=net.osm_ids,
    )
    return buf.getvalue()


def from_npz(blob: bytes | memoryview) -> Network:
    with np.load(io.BytesIO(bytes(blob)), allow_pickle=False) as z:
        return Network(z["lat"], z["lon"], z["indptr"], z["indices"], z["weights"], z["osm_ids"])


def save_network(
    imported: RoadImport,
    *,
    name: str,
    source_name: str = "",
    speed_kmh: float = 4.5,
    minutes: int = 15,
) -> RoadNetwork:
    """Store an imported network (row and arrays together, or nothing)."""
    net = imported.network
    with transaction.atomic():
        rn = RoadNetwork.objects.create(
            name=name,
            source_name=source_name,
            node_count=net.node_count,
            edge_count=net.edge_count,
            dropped_nodes=imported.dropped_nodes,
            bbox=list(net.bbox()),
            walking_speed_kmh=speed_kmh,
            minutes=minutes,
        )
        RoadNetworkData.objects.create(network=rn, npz=to_npz(net))
    return rn


# A file whose ways miss more of their nodes than this share is an incomplete extract.
MAX_MISSING_SHARE = 0.05
# A new network smaller than this share of the one in use would quietly shrink every
# walking time and coverage figure.
MIN_SIZE_SHARE = 0.5


def import_roads(
    path: Path | str, *, name: str | None = None, force: bool = False
) -> tuple[RoadNetwork, RoadImport]:
    """Read an OSM file and store its network, which becomes the one in use (the newest).
    Raises CircleError on bad input, nothing stored: an unreadable file or coordinate, an
    incomplete extract (ways referring to nodes the file lacks) and a network far smaller
    than the one in use are refused unless `force`."""
    path = Path(path)
    imported = read_roads(path)
    if not force and imported.missing > imported.references * MAX_MISSING_SHARE:
        share = imported.missing / max(imported.references, 1)
        raise BadOsmFile(
            f"OSM文件“{path.name}”的道路引用了 {imported.missing} 个文件中没有的节点"
            f"（占 {share:.0%}），文件可能不完整，未导入；确认无误请加 --force。"
        )
    current = RoadNetwork.objects.order_by("-created_at", "-id").first()
    size = imported.network.node_count
    if not force and current is not None and size < current.node_count * MIN_SIZE_SHARE:
        raise CircleError(
            f"新路网只有 {size} 个节点，不到当前路网“{current.name}”（{current.node_count} 个节点）"
            "的一半，未导入；确认无误请加 --force。"
        )
    rn = save_network(imported, name=name or path.stem, source_name=path.name)
    return rn, imported


def load_network(rn: RoadNetwork) -> Network:
    """The network's arrays, with graph and k-d tree built; cached per process."""
    key = (rn.pk, rn.created_at.isoformat())
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    blob = RoadNetworkData.objects.values_list("npz", flat=True).get(network_id=rn.pk)
    net = from_npz(blob).prepare()
    with _cache_lock:
        _cache[key] = net
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return net
