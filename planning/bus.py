"""School buses: the walk to the pick-up point and the ride.

A bus trip is two legs: the pupil walks from the village to the nearest point of a road a
bus can use (the pick-up point: :func:`planning.project.drivable_network`), then rides along
drivable roads to the school (:attr:`Project.bus_times`). Both legs are shown, and the
walk is held to the walking limit like any other walk: a village whose walk to the road is
beyond the limit cannot be served by a bus, whatever the ride.

    >>> import planning
    >>> project = planning.demo()
    >>> walk = walk_to_road(project)          # minutes per village, NaN beyond the cut-off
    >>> walk.shape == (len(project.villages),) and bool((walk[~np.isnan(walk)] >= 0).all())
    True
"""

from __future__ import annotations

import numpy as np

from .edits import State
from .memo import per_owner
from .project import Project, drivable_network
from .traveltime import paired_minutes


@per_owner
def walk_to_road(project: Project) -> np.ndarray:
    """Walking minutes from each village to its pick-up point (the nearest point of a road a
    bus can use), along the walking network at the project's walking speed; NaN where it is
    beyond ``policy.max_minutes``. Read-only; computed once per project."""
    villages = project.xy(project.villages)
    pickup = drivable_network(project).snap(villages).xy
    minutes = paired_minutes(project.network, villages, pickup, policy=project.policy,
                             max_minutes=project.policy.max_minutes)
    minutes.setflags(write=False)
    return minutes


def bus_rides(project: Project, state: State) -> np.ndarray:
    """Ride minutes (villages × targets) where one of the state's buses carries the pair
    within its longest ride; NaN elsewhere. The walk to the pick-up is not included."""
    ride = np.full(project.matrix.minutes.shape, np.nan)
    if not state.buses:
        return ride
    bus = project.bus_times
    row = {v: i for i, v in enumerate(project.villages.index)}
    for b in state.buses:
        t = state.schools.index.get_loc(b.school)
        for v in b.villages:
            i = row[v]
            if bus[i, t] <= b.max_ride:
                ride[i, t] = np.fmin(ride[i, t], bus[i, t])
    return ride


__all__ = ["walk_to_road", "bus_rides"]
