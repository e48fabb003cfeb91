//! The Modbus driver room: talking to gate controllers over Modbus RTU/TCP. One
//! [`bus::BusOwner`] task owns each serial port or Modbus TCP connection and serialises every
//! request to the slaves on it; one [`driver::DeviceDriver`] task per controller turns "open
//! door N" into the writes its profile prescribes and polls its door contacts and fault points.
//! Nothing else touches a port or socket.

pub mod bus;
pub mod driver;

pub use bus::{BusHandle, GateError, Op, Reply};
pub use driver::{DeviceDriver, DriverCmd, DriverHandle, GateEvent};
