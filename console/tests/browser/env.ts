// What the Rust test that started the stack hands these specs (tests/tests/console_browser.rs).
// A missing value is a loud error: these specs only make sense against that stack.
function need(name: string): string {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set: run the browser tests through \`cargo test -p tests --test console_browser\``)
  return v
}

export const env = {
  get password(): string { return need('CONSOLE_PASSWORD') },
  /** A community worker of community A. */
  get staffUser(): string { return need('CONSOLE_STAFF_USER') },
  /** The street admin. */
  get adminUser(): string { return need('CONSOLE_ADMIN_USER') },
  get communityId(): string { return need('CONSOLE_COMMUNITY_ID') },
  get communityName(): string { return need('CONSOLE_COMMUNITY_NAME') },
  /** Another community the worker must not see. */
  get otherCommunityId(): string { return need('CONSOLE_OTHER_COMMUNITY_ID') },
  get otherCommunityName(): string { return need('CONSOLE_OTHER_COMMUNITY_NAME') },
  /** The broker the box's smoke detector publishes to, and the detector's topic. */
  get mqttPort(): string { return need('CONSOLE_MQTT_PORT') },
  get smokeTopic(): string { return need('CONSOLE_SMOKE_TOPIC') },
  /** The box's local API and its operator token. */
  get boxUrl(): string { return need('CONSOLE_BOX_URL') },
  get boxToken(): string { return need('CONSOLE_BOX_TOKEN') },
  /** A person whose registered name is markup; it must show as text. */
  get hostileName(): string { return need('CONSOLE_HOSTILE_NAME') },
  /** Face review: a person and a photo of their face (the box enrols it), and another person
   *  with a photo that shows no face (the box refuses it). */
  get facePerson(): string { return need('CONSOLE_FACE_PERSON') },
  get facePhoto(): string { return need('CONSOLE_FACE_PHOTO') },
  get noFacePerson(): string { return need('CONSOLE_NOFACE_PERSON') },
  get noFacePhoto(): string { return need('CONSOLE_NOFACE_PHOTO') },
}
