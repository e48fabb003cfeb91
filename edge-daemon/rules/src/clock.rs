//! Clock policy: owns the box's notion of "now" when the wall clock cannot be
//! trusted blindly (bad RTC at boot, NTP step, somebody setting the date).
//!
//! Sans-IO: nothing here reads a clock; callers pass wall time ([`EpochMs`])
//! and monotonic time ([`MonoMs`]) in.
//!
//! # Policy
//!
//! * [`ClockGuard::new`] anchors wall time to the monotonic clock at start.
//!   From then on the *projected* time is `anchor_wall + (mono - anchor_mono)`.
//! * [`ClockGuard::observe`] compares the wall clock with the projection. If
//!   they differ by more than the tolerance the wall clock has jumped: the jump
//!   is reported once in [`TimeView::jump`] (again only when the delta moves by
//!   more than the tolerance) and the guard does **not** re-anchor on its own:
//!   only [`ClockGuard::confirm`] (cloud sync handshake, operator) does.
//!   Re-anchoring on agreement is deliberately absent too, otherwise a clock
//!   walked in steps smaller than the tolerance would drag the anchor along.
//!   Slow drift between the two clocks is therefore bounded by the tolerance
//!   until the next confirmation; pick the tolerance with that in mind.
//! * A booted wall clock that is behind the persisted high-water mark by more
//!   than the tolerance (RTC lost its time) is reported as a jump on the first
//!   observation, with `delta_ms = wall_at_boot - high_water`.
//! * The answer is an interval, [`TimeView`]: `earliest = min(wall, projected)`
//!   and `latest = max(wall, projected, high_water)`. The high-water mark is
//!   the largest wall time both clocks agreed had been reached (persisted by
//!   the daemon across restarts), so time can never be wound back past it.
//! * Decisions use the interval conservatively: "now is inside
//!   `[start, end]`" holds only if the *whole* interval is inside, so
//!   disagreeing clocks narrow a window, never widen it.
//!
//! # The cloud as the reference
//!
//! * Every answer the cloud gives a box carries the cloud's time, signed with the key the box
//!   already trusts for one-tap commands and bound to the request's own signature (so it cannot
//!   be replayed into another exchange). The cloud read its clock somewhere between the box
//!   sending the request (monotonic `sent`) and reading the answer (`received`), so at
//!   `received` the true time is in `[cloud, cloud + (received - sent)]`: a [`Reference`].
//! * From the first reference on, [`ClockGuard::observe`] answers from the reference carried
//!   forward by the monotonic clock, widened on both sides by [`DRIFT_PPM`] of the elapsed time
//!   (a monotonic clock may run that much fast or slow). The wall clock no longer narrows or
//!   widens anything: a step of it changes no decision. A wall clock outside the reference (by
//!   more than the tolerance) is still reported as a jump, once, so somebody fixes NTP.
//! * A newer reference is intersected with the older one carried forward (both are true, so
//!   the overlap is); if they do not overlap (the cloud's own clock was stepped) the newer wins.
//! * The high-water mark follows the reference: it is set to the reference's earliest instant,
//!   which can lower a mark a future-dated clock poisoned. Between cloud answers it only rises.
//! * References live only in memory (the monotonic clock restarts with the process): after a
//!   restart the box is back on the wall-clock policy above until the cloud answers again, and
//!   an offline box keeps the operator's confirmation as its only way out of a jump.

use serde::{Deserialize, Serialize};

/// Wall-clock time: milliseconds since the Unix epoch.
pub type EpochMs = i64;
/// Monotonic time: milliseconds from an arbitrary origin, never goes back.
pub type MonoMs = u64;

/// A detected disagreement between the wall clock and the monotonic
/// projection. Positive `delta_ms`: the wall clock is ahead of the projection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClockJump {
    pub delta_ms: i64,
}

/// What the box knows about "now": some instant in `[earliest, latest]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeView {
    pub earliest: EpochMs,
    pub latest: EpochMs,
    /// Set on the observation that detected a new jump, `None` otherwise.
    pub jump: Option<ClockJump>,
}

impl TimeView {
    /// A single trusted instant (both bounds equal, no jump).
    pub fn at(t: EpochMs) -> Self {
        Self {
            earliest: t,
            latest: t,
            jump: None,
        }
    }

    /// True only if every candidate "now" lies inside `[start, end]`
    /// (both ends inclusive).
    pub fn within(&self, start: EpochMs, end: EpochMs) -> bool {
        start <= self.earliest && self.latest <= end
    }

    /// True if some candidate "now" lies inside `[start, end]`: used to tell
    /// "outside" apart from "the clocks disagree about it".
    pub fn overlaps(&self, start: EpochMs, end: EpochMs) -> bool {
        start <= end && start <= self.latest && self.earliest <= end
    }

    /// True if it may already be past `expires_at` (any candidate is later).
    pub fn expired(&self, expires_at: EpochMs) -> bool {
        self.latest > expires_at
    }

    /// True if it may still be before `not_before` (any candidate is earlier).
    pub fn not_yet(&self, not_before: EpochMs) -> bool {
        self.earliest < not_before
    }

    /// True when the clocks agree exactly (a one-instant view).
    pub fn is_certain(&self) -> bool {
        self.earliest == self.latest
    }
}

/// How fast or slow the monotonic clock may run against true time, in parts per million: a
/// reference carried forward widens by this much of the elapsed time on each side (an ordinary
/// crystal is within ±100 ppm; 17 s a day at this bound).
pub const DRIFT_PPM: i64 = 200;

/// "At monotonic `at_mono` the true time was in `[earliest, latest]`", from a signed answer of
/// the cloud (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub earliest: EpochMs,
    pub latest: EpochMs,
    pub at_mono: MonoMs,
}

impl Reference {
    /// One exchange: the request left at `sent_mono`, the answer (stamped `cloud_ms` by the
    /// cloud) was read at `received_mono`. `None` if the monotonic times are out of order.
    pub fn from_exchange(
        cloud_ms: EpochMs,
        sent_mono: MonoMs,
        received_mono: MonoMs,
    ) -> Option<Self> {
        let rtt = received_mono.checked_sub(sent_mono)?;
        Some(Self {
            earliest: cloud_ms,
            latest: clamp_i64(i128::from(cloud_ms) + i128::from(rtt)),
            at_mono: received_mono,
        })
    }

    /// The interval carried to monotonic `mono`, widened by the drift bound on both sides.
    pub fn at(&self, mono: MonoMs) -> (EpochMs, EpochMs) {
        let d = i128::from(mono) - i128::from(self.at_mono);
        let drift = (d.abs() * i128::from(DRIFT_PPM) + 999_999) / 1_000_000;
        (
            clamp_i64(i128::from(self.earliest) + d - drift),
            clamp_i64(i128::from(self.latest) + d + drift),
        )
    }

    /// The middle of [`at`](Self::at): the best single guess (what the box signs its requests
    /// and stamps its records with).
    pub fn estimate(&self, mono: MonoMs) -> EpochMs {
        let (e, l) = self.at(mono);
        clamp_i64((i128::from(e) + i128::from(l)) / 2)
    }

    /// Both references are true, so their overlap is; when there is none (the cloud's clock
    /// was stepped between them) the newer one stands.
    pub fn combine(self, newer: Reference) -> Reference {
        let at = self.at_mono.max(newer.at_mono);
        let (a_e, a_l) = self.at(at);
        let (b_e, b_l) = newer.at(at);
        let (earliest, latest) = (a_e.max(b_e), a_l.min(b_l));
        if earliest <= latest {
            Reference {
                earliest,
                latest,
                at_mono: at,
            }
        } else {
            newer
        }
    }
}

/// Guards decisions against wall-clock jumps; see the module doc for the policy.
#[derive(Clone, Debug)]
pub struct ClockGuard {
    anchor_wall: EpochMs,
    anchor_mono: MonoMs,
    high_water: EpochMs,
    tolerance_ms: u64,
    /// Delta of the last reported jump while the disagreement persists.
    reported: Option<i64>,
    /// Boot-time "behind the high-water mark" jump, reported on first observe.
    pending_boot_jump: Option<ClockJump>,
    /// The cloud's word on the time, once heard in this process.
    reference: Option<Reference>,
    /// Whether the wall clock agreed with the best knowledge at the last observation.
    wall_agrees: bool,
}

impl ClockGuard {
    /// Anchors `wall` to `mono`. `high_water` is the persisted largest trusted
    /// wall time from before (use `i64::MIN` when there is none).
    pub fn new(wall: EpochMs, mono: MonoMs, high_water: EpochMs, tolerance_ms: u64) -> Self {
        let behind = i128::from(high_water) - i128::from(wall);
        let pending_boot_jump = (behind > i128::from(tolerance_ms)).then(|| ClockJump {
            delta_ms: clamp_i64(-behind),
        });
        Self {
            anchor_wall: wall,
            anchor_mono: mono,
            high_water,
            tolerance_ms,
            reported: None,
            pending_boot_jump,
            reference: None,
            wall_agrees: true,
        }
    }

    /// Wall time projected from the anchor and the monotonic clock.
    pub fn projected(&self, mono: MonoMs) -> EpochMs {
        let elapsed = i128::from(mono) - i128::from(self.anchor_mono);
        clamp_i64(i128::from(self.anchor_wall) + elapsed)
    }

    /// Takes one wall/monotonic sample and returns the conservative view of now.
    pub fn observe(&mut self, wall: EpochMs, mono: MonoMs) -> TimeView {
        if let Some(r) = self.reference {
            return self.observe_with_reference(r, wall, mono);
        }
        let projected = self.projected(mono);
        let delta = i128::from(wall) - i128::from(projected);
        let tol = i128::from(self.tolerance_ms);
        let mut jump = None;
        if delta.abs() > tol {
            // Report once per jump: only again if the delta moved materially.
            let is_new = match self.reported {
                None => true,
                Some(prev) => (delta - i128::from(prev)).abs() > tol,
            };
            if is_new {
                let delta_ms = clamp_i64(delta);
                self.reported = Some(delta_ms);
                jump = Some(ClockJump { delta_ms });
            }
        } else {
            self.reported = None;
        }
        if let Some(boot) = self.pending_boot_jump.take() {
            jump = jump.or(Some(boot));
        }
        let earliest = wall.min(projected);
        // Only a time both clocks agree has been reached raises the mark.
        self.high_water = self.high_water.max(earliest);
        let latest = wall.max(projected).max(self.high_water);
        self.wall_agrees = earliest == latest;
        TimeView {
            earliest,
            latest,
            jump,
        }
    }

    fn observe_with_reference(&mut self, r: Reference, wall: EpochMs, mono: MonoMs) -> TimeView {
        let (earliest, latest) = r.at(mono);
        let tol = i128::from(self.tolerance_ms);
        let w = i128::from(wall);
        let outside = if w < i128::from(earliest) - tol {
            w - i128::from(earliest)
        } else if w > i128::from(latest) + tol {
            w - i128::from(latest)
        } else {
            0
        };
        let mut jump = None;
        if outside != 0 {
            let delta = w - i128::from(r.estimate(mono));
            let is_new = match self.reported {
                None => true,
                Some(prev) => (delta - i128::from(prev)).abs() > tol,
            };
            if is_new {
                let delta_ms = clamp_i64(delta);
                self.reported = Some(delta_ms);
                jump = Some(ClockJump { delta_ms });
            }
        } else {
            self.reported = None;
        }
        self.wall_agrees = outside == 0;
        self.high_water = self.high_water.max(earliest);
        TimeView {
            earliest,
            latest,
            jump,
        }
    }

    /// A signed answer of the cloud (see the module doc). From now on decisions follow the
    /// reference, whatever the wall clock does.
    pub fn heard_cloud(&mut self, r: Reference) {
        let r = match self.reference {
            Some(old) => old.combine(r),
            None => r,
        };
        self.reference = Some(r);
        self.pending_boot_jump = None;
        // The cloud's word sets the mark, also downwards (a future-dated clock poisoned it).
        self.high_water = r.earliest;
    }

    /// The reference decisions follow, if the cloud has answered since the process started.
    pub fn reference(&self) -> Option<Reference> {
        self.reference
    }

    /// Whether the wall clock agreed with the best knowledge of the time at the last
    /// observation (a clock-jump alarm ends when it does again).
    pub fn wall_agrees(&self) -> bool {
        self.wall_agrees
    }

    /// The best single guess of now: the reference's middle once the cloud has answered, the
    /// wall clock before.
    pub fn estimate(&self, wall: EpochMs, mono: MonoMs) -> EpochMs {
        self.reference.map_or(wall, |r| r.estimate(mono))
    }

    /// A trusted source confirmed the time: re-anchor there, raise the
    /// high-water mark if needed, forget any jump.
    ///
    /// An operator's confirmation is a person vouching for the wall clock: it also sets aside
    /// the cloud's reference until the cloud answers again.
    pub fn confirm(&mut self, trusted_wall: EpochMs, mono: MonoMs) {
        self.reference = None;
        self.wall_agrees = true;
        self.anchor_wall = trusted_wall;
        self.anchor_mono = mono;
        self.high_water = self.high_water.max(trusted_wall);
        self.reported = None;
        self.pending_boot_jump = None;
    }

    /// Operator recovery only: like [`confirm`](Self::confirm) but also lowers
    /// the high-water mark, which a future-dated RTC at boot could have
    /// poisoned (every time-bound grant would otherwise stay denied).
    pub fn reset_high_water(&mut self, trusted_wall: EpochMs, mono: MonoMs) {
        self.confirm(trusted_wall, mono);
        self.high_water = trusted_wall;
    }

    /// Largest wall time known to have been reached; the daemon persists it.
    pub fn high_water(&self) -> EpochMs {
        self.high_water
    }

    pub fn tolerance_ms(&self) -> u64 {
        self.tolerance_ms
    }
}

fn clamp_i64(v: i128) -> i64 {
    // Saturate instead of overflowing on absurd inputs.
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: EpochMs = 1_700_000_000_000;
    const M0: MonoMs = 50_000;
    const TOL: u64 = 2_000;

    fn guard() -> ClockGuard {
        ClockGuard::new(T0, M0, T0 - 10_000, TOL)
    }

    #[test]
    fn at_is_single_instant() {
        let v = TimeView::at(42);
        assert_eq!(
            v,
            TimeView {
                earliest: 42,
                latest: 42,
                jump: None
            }
        );
        assert!(v.is_certain());
    }

    #[test]
    fn within_edges_inclusive() {
        let v = TimeView::at(1_000);
        assert!(v.within(1_000, 2_000));
        assert!(v.within(0, 1_000));
        assert!(!v.within(1_001, 2_000));
        assert!(!v.within(0, 999));
        assert!(v.within(1_000, 1_000));
    }

    #[test]
    fn within_requires_whole_interval() {
        let v = TimeView {
            earliest: 100,
            latest: 200,
            jump: None,
        };
        assert!(v.within(100, 200));
        assert!(!v.within(101, 200));
        assert!(!v.within(100, 199));
        assert!(v.overlaps(150, 300));
        assert!(v.overlaps(200, 300));
        assert!(!v.overlaps(201, 300));
        assert!(v.overlaps(0, 100));
        assert!(!v.overlaps(0, 99));
        assert!(!v.overlaps(300, 0), "empty window overlaps nothing");
        assert!(!v.is_certain());
    }

    #[test]
    fn expired_and_not_yet_use_the_pessimistic_bound() {
        let v = TimeView {
            earliest: 100,
            latest: 200,
            jump: None,
        };
        assert!(v.expired(199));
        assert!(!v.expired(200));
        assert!(v.not_yet(101));
        assert!(!v.not_yet(100));
    }

    #[test]
    fn steady_clocks_agree() {
        let mut g = guard();
        let v = g.observe(T0 + 1_000, M0 + 1_000);
        assert_eq!(v, TimeView::at(T0 + 1_000));
        assert_eq!(g.high_water(), T0 + 1_000);
        assert_eq!(g.projected(M0 + 5), T0 + 5);
    }

    #[test]
    fn small_skew_within_tolerance_is_not_a_jump() {
        let mut g = guard();
        let v = g.observe(T0 + 1_000 + 2_000, M0 + 1_000);
        assert_eq!(v.jump, None);
        assert_eq!(v.earliest, T0 + 1_000);
        assert_eq!(v.latest, T0 + 3_000);
        // Only the agreed (smaller) time raises the mark.
        assert_eq!(g.high_water(), T0 + 1_000);
    }

    #[test]
    fn forward_jump_reported_once_and_not_reanchored() {
        let mut g = guard();
        let day = 86_400_000;
        let v = g.observe(T0 + day, M0 + 1_000);
        assert_eq!(
            v.jump,
            Some(ClockJump {
                delta_ms: day - 1_000
            })
        );
        assert_eq!(v.earliest, T0 + 1_000);
        assert_eq!(v.latest, T0 + day);
        assert_eq!(
            g.high_water(),
            T0 + 1_000,
            "forward jump must not poison the mark"
        );
        // Same disagreement a second later: not reported again.
        let v = g.observe(T0 + day + 1_000, M0 + 2_000);
        assert_eq!(v.jump, None);
        assert_eq!(v.earliest, T0 + 2_000);
        assert_eq!(v.latest, T0 + day + 1_000);
        // Delta drifted by exactly the tolerance: still the same jump.
        let v = g.observe(T0 + day + 1_000 + 2_000, M0 + 2_000);
        assert_eq!(v.jump, None);
        // One more ms: a new jump.
        let v = g.observe(T0 + day + 1_000 + 2_001, M0 + 2_000);
        assert_eq!(
            v.jump,
            Some(ClockJump {
                delta_ms: day - 1_000 + 2_001
            })
        );
    }

    #[test]
    fn backward_jump_keeps_latest_at_projection() {
        let mut g = guard();
        let v = g.observe(T0 - 3_600_000, M0 + 10_000);
        assert_eq!(
            v.jump,
            Some(ClockJump {
                delta_ms: -3_610_000
            })
        );
        assert_eq!(v.earliest, T0 - 3_600_000);
        assert_eq!(v.latest, T0 + 10_000);
        // High water stays where both clocks agreed.
        assert_eq!(g.high_water(), T0 - 10_000);
    }

    #[test]
    fn jump_exactly_at_tolerance_is_not_a_jump_one_more_is() {
        let mut g = guard();
        assert_eq!(g.observe(T0 + TOL as i64, M0).jump, None);
        assert_eq!(g.observe(T0 - TOL as i64, M0).jump, None);
        assert_eq!(
            g.observe(T0 - TOL as i64 - 1, M0).jump,
            Some(ClockJump {
                delta_ms: -(TOL as i64) - 1
            })
        );
    }

    #[test]
    fn jump_back_to_agreement_rearms_reporting() {
        let mut g = guard();
        assert!(g.observe(T0 + 60_000, M0).jump.is_some());
        assert_eq!(g.observe(T0, M0).jump, None, "clocks agree again");
        assert_eq!(
            g.observe(T0 + 60_000, M0).jump,
            Some(ClockJump { delta_ms: 60_000 }),
            "same jump again after agreement is a new event"
        );
    }

    #[test]
    fn confirm_reanchors_and_clears_jump() {
        let mut g = guard();
        let day = 86_400_000;
        assert!(g.observe(T0 + day, M0 + 1_000).jump.is_some());
        g.confirm(T0 + day, M0 + 1_000);
        assert_eq!(g.high_water(), T0 + day);
        let v = g.observe(T0 + day + 500, M0 + 1_500);
        assert_eq!(v, TimeView::at(T0 + day + 500));
        // Confirm never lowers the mark.
        g.confirm(T0, M0 + 2_000);
        assert_eq!(g.high_water(), T0 + day + 500);
        let v = g.observe(T0 + 100, M0 + 2_100);
        assert_eq!(v.earliest, T0 + 100);
        assert_eq!(v.latest, T0 + day + 500);
        assert_eq!(v.jump, None);
    }

    #[test]
    fn reset_high_water_lowers_the_mark() {
        let mut g = ClockGuard::new(T0, M0, T0 + 365 * 86_400_000, TOL);
        g.reset_high_water(T0, M0);
        assert_eq!(g.high_water(), T0);
        assert_eq!(g.observe(T0 + 10, M0 + 10), TimeView::at(T0 + 10));
    }

    #[test]
    fn boot_behind_high_water_reported_once_and_latest_clamped() {
        // RTC lost its time: boots at the epoch, persisted mark says T0.
        let mut g = ClockGuard::new(0, M0, T0, TOL);
        let v = g.observe(1_000, M0 + 1_000);
        assert_eq!(v.jump, Some(ClockJump { delta_ms: -T0 }));
        assert_eq!(v.earliest, 1_000);
        assert_eq!(v.latest, T0);
        assert!(!v.within(T0 - 3_600_000, T0 + 3_600_000));
        assert_eq!(g.observe(2_000, M0 + 2_000).jump, None);
        g.confirm(T0 + 5_000, M0 + 2_000);
        assert_eq!(g.observe(T0 + 6_000, M0 + 3_000), TimeView::at(T0 + 6_000));
    }

    #[test]
    fn boot_slightly_behind_high_water_is_not_a_jump() {
        let mut g = ClockGuard::new(T0 - TOL as i64, M0, T0, TOL);
        let v = g.observe(T0 - TOL as i64, M0);
        assert_eq!(v.jump, None);
        assert_eq!(v.latest, T0);
    }

    #[test]
    fn boot_jump_cleared_by_confirm_before_first_observe() {
        let mut g = ClockGuard::new(0, M0, T0, TOL);
        g.confirm(T0, M0);
        assert_eq!(g.observe(T0, M0), TimeView::at(T0));
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let mut g = ClockGuard::new(i64::MAX, 0, i64::MIN, 0);
        let v = g.observe(i64::MIN, u64::MAX);
        assert_eq!(v.earliest, i64::MIN);
        assert_eq!(v.latest, i64::MAX);
        assert_eq!(v.jump, Some(ClockJump { delta_ms: i64::MIN }));
        let mut g = ClockGuard::new(i64::MIN, u64::MAX, i64::MAX, u64::MAX);
        let v = g.observe(i64::MAX, 0);
        assert_eq!(v.latest, i64::MAX);
        assert_eq!(g.tolerance_ms(), u64::MAX);
    }

    #[test]
    fn mono_going_backwards_projects_backwards_without_panic() {
        let mut g = guard();
        let v = g.observe(T0, M0 - 1_000);
        assert_eq!(v.earliest, T0 - 1_000);
        assert_eq!(v.latest, T0);
    }

    #[test]
    fn serde_roundtrip() {
        let v = TimeView {
            earliest: 1,
            latest: 2,
            jump: Some(ClockJump { delta_ms: -5 }),
        };
        let s = serde_json::to_string(&v).unwrap_or_default();
        let back: Option<TimeView> = serde_json::from_str(&s).ok();
        assert_eq!(back, Some(v));
    }

    const DAY: i64 = 86_400_000;

    #[test]
    fn an_exchange_bounds_the_time_by_its_round_trip() {
        let r = Reference::from_exchange(T0, 100, 150).unwrap();
        assert_eq!(
            r,
            Reference {
                earliest: T0,
                latest: T0 + 50,
                at_mono: 150
            }
        );
        assert_eq!(Reference::from_exchange(T0, 151, 150), None);
        // Carried forward a million ms: 200 ms of drift allowed on each side.
        assert_eq!(
            r.at(1_000_150),
            (T0 + 1_000_000 - 200, T0 + 50 + 1_000_000 + 200)
        );
        // One ms of elapsed time still widens by one (rounded up), never by zero.
        assert_eq!(r.at(151), (T0, T0 + 52));
        assert_eq!(r.estimate(150), T0 + 25);
        // Carried backwards it widens too.
        assert_eq!(r.at(149), (T0 - 2, T0 + 50));
    }

    #[test]
    fn references_intersect_and_the_newer_wins_when_they_disagree() {
        let a = Reference::from_exchange(T0, 0, 1_000).unwrap(); // [T0, T0+1000] at 1000
        let b = Reference::from_exchange(T0 + 1_500, 1_900, 2_000).unwrap(); // [T0+1500, T0+1600] at 2000
        let c = a.combine(b);
        // a carried to 2000: [T0+1000-1, T0+2000+1]; overlap with b is b.
        assert_eq!(c, b);
        let tight = Reference::from_exchange(T0 + 1_000, 1_000, 1_001).unwrap();
        let wide = Reference::from_exchange(T0 + 900, 0, 2_000).unwrap(); // [T0+900, T0+2900] at 2000
        let c = tight.combine(wide);
        assert_eq!(c.at_mono, 2_000);
        assert_eq!((c.earliest, c.latest), (T0 + 1_999 - 1, T0 + 2_000 + 1));
        // The cloud's clock was stepped by an hour: nothing overlaps, the newer stands.
        let stepped = Reference::from_exchange(T0 + 3_600_000, 2_000, 2_010).unwrap();
        assert_eq!(a.combine(stepped), stepped);
        // Order of arrival does not matter for the overlap.
        assert_eq!(wide.combine(tight), c);
    }

    #[test]
    fn once_the_cloud_answered_wall_steps_change_no_decision() {
        let mut g = guard();
        g.heard_cloud(Reference::from_exchange(T0 + 1_000, M0 + 900, M0 + 1_000).unwrap());
        let reference = g.observe(T0 + 1_000, M0 + 1_000);
        assert_eq!(
            (reference.earliest, reference.latest),
            (T0 + 1_000, T0 + 1_100)
        );
        assert!(g.wall_agrees());
        for step in [600_000, -600_000, DAY, -DAY] {
            let v = g.observe(T0 + 2_000 + step, M0 + 2_000);
            assert_eq!(
                (v.earliest, v.latest),
                (T0 + 1_999, T0 + 2_101),
                "step {step}"
            );
            assert!(v.jump.is_some(), "a step of {step} ms is still reported");
            assert!(!g.wall_agrees());
            assert_eq!(g.observe(T0 + 2_000 + step, M0 + 2_000).jump, None, "once");
        }
        // NTP puts the wall clock right: it agrees again, no new report.
        let v = g.observe(T0 + 3_050, M0 + 3_000);
        assert_eq!(v.jump, None);
        assert!(g.wall_agrees());
        assert_eq!(g.estimate(0, M0 + 3_000), T0 + 3_050);
        assert_eq!(g.high_water(), T0 + 2_999);
    }

    #[test]
    fn a_box_booted_a_day_ahead_is_set_right_by_the_cloud() {
        // Offline, nothing can tell: the wall clock is believed and poisons the mark.
        let mut g = ClockGuard::new(T0 + DAY, M0, T0 - 60_000, TOL);
        assert_eq!(g.observe(T0 + DAY, M0), TimeView::at(T0 + DAY));
        assert_eq!(g.high_water(), T0 + DAY);
        assert_eq!(g.estimate(T0 + DAY, M0), T0 + DAY);
        // The cloud answers: the reference rules, the mark comes down, the wall is reported.
        g.heard_cloud(Reference::from_exchange(T0 + 10, M0, M0 + 20).unwrap());
        assert_eq!(g.high_water(), T0 + 10);
        let v = g.observe(T0 + DAY + 20, M0 + 20);
        assert_eq!((v.earliest, v.latest), (T0 + 10, T0 + 30));
        assert_eq!(v.jump, Some(ClockJump { delta_ms: DAY }));
        assert!(v.within(T0 - 3_600_000, T0 + 3_600_000));
    }

    #[test]
    fn a_box_booted_a_day_behind_works_as_soon_as_the_cloud_answers() {
        let mut g = ClockGuard::new(T0 - DAY, M0, T0, TOL);
        let v = g.observe(T0 - DAY, M0);
        assert_eq!(v.jump, Some(ClockJump { delta_ms: -DAY }));
        assert!(
            !v.within(T0 - 3_600_000, T0 + 3_600_000),
            "narrowed offline"
        );
        g.heard_cloud(Reference::from_exchange(T0 + 5, M0, M0 + 10).unwrap());
        let v = g.observe(T0 - DAY + 10, M0 + 10);
        assert!(v.within(T0 - 3_600_000, T0 + 3_600_000));
        assert!(!g.wall_agrees());
    }

    #[test]
    fn an_operator_confirmation_sets_the_reference_aside() {
        let mut g = guard();
        g.heard_cloud(Reference::from_exchange(T0, M0, M0 + 10).unwrap());
        assert!(g.reference().is_some());
        g.confirm(T0 + 20, M0 + 20);
        assert_eq!(g.reference(), None);
        assert_eq!(g.observe(T0 + 30, M0 + 30), TimeView::at(T0 + 30));
    }

    #[derive(Clone, Debug)]
    enum Event {
        /// True time advances by this many ms; the monotonic clock by that times (1 + ppm/1e6).
        Advance(u64, i64),
        /// The wall clock is stepped.
        Step(i64),
        /// The daemon restarts; the wall clock comes up this far off.
        Restart(i64),
        /// The cloud answers after `rtt` ms, having read its clock `at` of the way through.
        Cloud(u64, u8),
        /// The link is cut: the cloud does not answer for this long.
        Outage(u64),
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            4 => (0u64..4_000_000, -DRIFT_PPM..=DRIFT_PPM).prop_map(|(d, p)| Event::Advance(d, p)),
            2 => prop_oneof![Just(600_000i64), Just(-600_000), Just(DAY), Just(-DAY), -DAY..DAY].prop_map(Event::Step),
            1 => prop_oneof![Just(0i64), Just(DAY), Just(-DAY), -DAY..DAY].prop_map(Event::Restart),
            3 => (0u64..30_000, 0u8..=100).prop_map(|(r, a)| Event::Cloud(r, a)),
            1 => (0u64..200_000_000).prop_map(Event::Outage),
        ]
    }

    #[derive(Clone, Debug)]
    enum Step {
        /// Advance true time; the wall clock keeps its current offset.
        Advance(u64),
        /// Someone steps the wall clock by this much (back or forward).
        Jump(i64),
        /// A trusted source confirms the true time.
        Confirm,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0u64..4_000_000).prop_map(Step::Advance),
            2 => (-400_000_000i64..400_000_000).prop_map(Step::Jump),
            1 => Just(Step::Confirm),
        ]
    }

    proptest! {
        #[test]
        fn within_never_true_outside_window_at_true_time(
            t0 in 0i64..4_000_000_000_000,
            m0 in 0u64..1_000_000_000,
            hw_back in 0i64..100_000_000,
            tol in 0u64..10_000,
            start_off in -20_000_000i64..20_000_000,
            len in 0i64..20_000_000,
            steps in proptest::collection::vec(step(), 1..40),
        ) {
            // Anchored truthfully; the persisted mark is from the past.
            let mut g = ClockGuard::new(t0, m0, t0 - hw_back, tol);
            let start = t0 + start_off;
            let end = start + len;
            let mut mono = m0;
            let mut wall_offset = 0i64;
            let mut last_hw = g.high_water();
            for s in steps {
                match s {
                    Step::Advance(d) => mono += d,
                    Step::Jump(j) => wall_offset += j,
                    Step::Confirm => {
                        g.confirm(t0 + (mono - m0) as i64, mono);
                        wall_offset = 0;
                    }
                }
                let truth = t0 + (mono - m0) as i64;
                let v = g.observe(truth + wall_offset, mono);
                prop_assert!(v.earliest <= truth && truth <= v.latest);
                if v.within(start, end) {
                    prop_assert!(start <= truth && truth <= end);
                }
                prop_assert!(g.high_water() >= last_hw, "high water never decreases");
                prop_assert!(g.high_water() <= truth, "high water only from agreed times");
                last_hw = g.high_water();
            }
        }

        /// Whatever the wall clock does (steps, boots off by a day), from the moment the cloud
        /// has answered in this process: the true time is in the view, a window admits only
        /// when the true time is inside it, the view does not depend on the wall clock, and the
        /// mark never runs ahead of the true time. The monotonic clock runs up to the drift
        /// bound fast or slow.
        #[test]
        fn after_the_cloud_answers_decisions_follow_true_time(
            t0 in 1_000_000_000_000i64..4_000_000_000_000,
            tol in 0u64..10_000,
            start_off in -20_000_000i64..20_000_000,
            len in 0i64..20_000_000,
            events in proptest::collection::vec(event(), 1..60),
        ) {
            let mut truth = t0;
            let mut mono: MonoMs = 1_000;
            let mut wall_off = 0i64;
            let mut g = ClockGuard::new(t0, mono, t0 - 1_000, tol);
            let mut referenced = false;
            let (start, end) = (t0 + start_off, t0 + start_off + len);
            for e in events {
                match e {
                    Event::Advance(d, ppm) => {
                        truth += d as i64;
                        // Truncation keeps the monotonic error within the bound.
                        mono += (d as i64 + d as i64 * ppm / 1_000_000) as u64;
                    }
                    Event::Outage(d) => {
                        truth += d as i64;
                        mono += d;
                    }
                    Event::Step(s) => wall_off += s,
                    Event::Restart(off) => {
                        wall_off = off;
                        mono += 5_000;
                        truth += 5_000;
                        g = ClockGuard::new(truth + wall_off, mono, g.high_water(), tol);
                        referenced = false;
                    }
                    Event::Cloud(rtt, at) => {
                        let read = truth + (rtt * u64::from(at) / 100) as i64;
                        let sent = mono;
                        truth += rtt as i64;
                        mono += rtt;
                        g.heard_cloud(Reference::from_exchange(read, sent, mono).unwrap());
                        referenced = true;
                    }
                }
                let v = g.observe(truth + wall_off, mono);
                if referenced {
                    prop_assert!(v.earliest <= truth && truth <= v.latest, "{v:?} vs {truth}");
                    if v.within(start, end) {
                        prop_assert!(start <= truth && truth <= end);
                    }
                    let mut other = g.clone();
                    let w = other.observe(truth + wall_off + 777_777, mono);
                    prop_assert_eq!((v.earliest, v.latest), (w.earliest, w.latest));
                    prop_assert!(g.high_water() <= truth);
                    prop_assert!(g.estimate(truth + wall_off, mono) >= v.earliest);
                    prop_assert!(g.estimate(truth + wall_off, mono) <= v.latest);
                }
            }
        }

        #[test]
        fn observe_never_panics_and_bounds_are_ordered(
            wall0 in any::<i64>(), mono0 in any::<u64>(), hw in any::<i64>(), tol in any::<u64>(),
            samples in proptest::collection::vec((any::<i64>(), any::<u64>()), 1..20),
        ) {
            let mut g = ClockGuard::new(wall0, mono0, hw, tol);
            for (w, m) in samples {
                let v = g.observe(w, m);
                prop_assert!(v.earliest <= v.latest);
                prop_assert!(v.latest >= g.high_water());
            }
        }

        #[test]
        fn jump_reported_once_while_delta_steady(
            t0 in 0i64..4_000_000_000_000,
            tol in 0u64..10_000,
            jump in 10_001i64..1_000_000_000,
            back in any::<bool>(),
            n in 2usize..20,
        ) {
            let mut g = ClockGuard::new(t0, 0, t0, tol);
            let j = if back { -jump } else { jump };
            let mut reports = 0;
            for i in 0..n {
                let m = (i as u64) * 1_000;
                if g.observe(t0 + m as i64 + j, m).jump.is_some() {
                    reports += 1;
                }
            }
            prop_assert_eq!(reports, 1);
        }
    }
}
