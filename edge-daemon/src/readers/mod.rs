//! Where a card-reader driver goes (none yet; this module holds no code).
//!
//! A serial card-reader protocol (Wiegand-to-serial, OSDP, a vendor's framing) gets a room here
//! shaped like the Modbus one (`gate::modbus::bus`): one owner task per serial port, the only
//! code that opens or reads it, which decodes frames into card numbers and sends the gatekeeper
//! a decision request per read (`gate::keeper::GatekeeperHandle::decide`). It decides nothing
//! itself; the door is opened by the gatekeeper through the gate drivers. Its settings go in
//! `config`, and `Daemon::start` calls its `start` like every other room's.
