//! Which door a one-tap opens, pure: the nearest door the person may pass within a radius
//! (great-circle distance; ties broken by door id). `cloud-core::rooms::onetap` finds the candidate
//! doors, signs the command and waits for the box.

#[derive(Debug, Clone, PartialEq)]
pub struct DoorSpot {
    pub id: String,
    pub code: String,
    pub name: String,
    pub box_id: String,
    pub community_id: String,
    pub lat: f64,
    pub lon: f64,
}

/// Great-circle distance in metres.
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().asin()
}

/// The nearest door within `radius_m`, ties broken by door id so the answer is stable.
pub fn nearest_door(
    doors: &[DoorSpot],
    lat: f64,
    lon: f64,
    radius_m: f64,
) -> Option<(&DoorSpot, f64)> {
    doors
        .iter()
        .map(|d| (d, distance_m(lat, lon, d.lat, d.lon)))
        .filter(|(_, m)| *m <= radius_m)
        .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spot(id: &str, lat: f64, lon: f64) -> DoorSpot {
        DoorSpot {
            id: id.into(),
            code: id.into(),
            name: id.into(),
            box_id: "b".into(),
            community_id: "c".into(),
            lat,
            lon,
        }
    }

    #[test]
    fn distances_are_metres() {
        // One thousandth of a degree of latitude is about 111 m.
        let d = distance_m(31.0, 121.0, 31.001, 121.0);
        assert!((d - 111.2).abs() < 0.5, "{d}");
        assert_eq!(distance_m(31.0, 121.0, 31.0, 121.0), 0.0);
    }

    #[test]
    fn nearest_within_radius_with_stable_ties() {
        let doors = vec![
            spot("b", 31.001, 121.0),
            spot("a", 31.0, 121.0005),
            spot("far", 31.01, 121.0),
        ];
        let (d, m) = nearest_door(&doors, 31.0, 121.0, 150.0).unwrap();
        assert_eq!(d.id, "a");
        assert!(m < 50.0);
        assert!(nearest_door(&doors, 31.0, 121.0, 10.0).is_none());
        let tie = vec![spot("z", 31.001, 121.0), spot("y", 30.999, 121.0)];
        assert_eq!(nearest_door(&tie, 31.0, 121.0, 500.0).unwrap().0.id, "y");
        assert!(nearest_door(&[], 0.0, 0.0, 1e9).is_none());
    }
}
