//! Attachments in an S3-compatible object store (`[objects] store = "s3"`), against a real S3
//! implementation: moto's server (PyPI `moto[server]`, installed by `tests/setup.sh`). boto3,
//! which moto brings, is the independent client that makes the bucket and reads back what the
//! cloud stored.
//!
//! moto does not check signatures, so what this shows is wire compatibility (presigned SigV4
//! URLs, path-style addressing, status codes); the signing itself is rusty-s3's, tested there
//! against AWS's published examples.

use cloud_core::config::{ObjectStoreKind, S3Config, S3UrlStyle, Secret};
use tests::cloud::{build_community, Api, Engine, InProcess, TestDb, PASSWORD};
use tests::free_port;
use tests::s3::{boto3, moto, moto_up};

const BUCKET: &str = "case-files";
const PDF: &str = "application/pdf";

fn s3_config(port: u16, bucket: &str) -> S3Config {
    S3Config {
        endpoint: format!("http://127.0.0.1:{port}"),
        bucket: bucket.to_string(),
        region: "us-east-1".into(),
        url_style: S3UrlStyle::Path,
        access_key_id: "AKIDCLOUDTEST".into(),
        secret_access_key_env: "(set directly by the test)".into(),
        timeout_seconds: 30,
        secret_access_key: Secret("cloud-test-secret".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_live_in_an_s3_bucket() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut moto = moto(port, tmp.path().join("moto.log")).await;
    boto3(port, "s3.create_bucket(Bucket=sys.argv[1])", &[BUCKET]);

    // A bucket that is not there stops the cloud at start, naming the field.
    let db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut cfg = InProcess::config(&tmp.path().join("a"), &db.url);
    cfg.objects.store = ObjectStoreKind::S3;
    cfg.objects.s3 = Some(s3_config(port, "no-such-bucket"));
    let err = match cloud_core::start(cfg.clone()).await {
        Ok(_) => panic!("a missing bucket must stop the start"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("objects.s3.bucket = no-such-bucket") && err.contains("404"),
        "{err}"
    );

    cfg.objects.s3 = Some(s3_config(port, BUCKET));
    let mut cloud = InProcess::start_with(cfg).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "lotus", "13800000001", 39.90, 116.40).await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let files = format!("/v1/communities/{}/attachments", c.id);

    // Stored in the bucket under the attachment's id, read back through the API and by boto3.
    let pdf: Vec<u8> = b"%PDF-1.4\n% hotline transcript\n"
        .iter()
        .copied()
        .chain((0..200_000u32).map(|i| (i % 251) as u8))
        .collect();
    let (s, v) = staff
        .upload(&format!("{files}?name=call.pdf"), PDF, pdf.clone())
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (s, _, got) = staff.bytes(&format!("{files}/{id}")).await;
    assert_eq!((s, got.len()), (200, pdf.len()));
    assert!(got == pdf, "the bytes read back differ");
    let copy = tmp.path().join("from-bucket.bin");
    boto3(
        port,
        "open(sys.argv[3], 'wb').write(s3.get_object(Bucket=sys.argv[1], Key=sys.argv[2])['Body'].read())",
        &[BUCKET, &id, copy.to_str().unwrap()],
    );
    assert!(
        std::fs::read(&copy).unwrap() == pdf,
        "the bucket holds other bytes"
    );

    // Nothing is written to the local object folder.
    let local = tmp.path().join("a/keys/objects");
    assert!(
        !local.exists() || std::fs::read_dir(&local).unwrap().next().is_none(),
        "{} has files",
        local.display()
    );

    // The store goes away: uploads and downloads say so (503), and no row points at nothing.
    moto.kill9().await;
    let (s, v) = staff
        .upload(&format!("{files}?name=late.pdf"), PDF, pdf.clone())
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (503, Some("object_store_unavailable")),
        "{v}"
    );
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("unreachable"), "{v}");
    assert!(
        !msg.contains("X-Amz-Signature") && !msg.contains("127.0.0.1"),
        "the error leaks the presigned URL: {msg}"
    );
    let (s, _, body) = staff.bytes(&format!("{files}/{id}")).await;
    assert_eq!(s, 503, "{}", String::from_utf8_lossy(&body));

    // Back (moto keeps nothing across a restart, so the bucket is made again): uploads work.
    moto.start();
    moto_up(port, &mut moto).await;
    boto3(port, "s3.create_bucket(Bucket=sys.argv[1])", &[BUCKET]);
    let (s, v) = staff
        .upload(&format!("{files}?name=again.pdf"), PDF, pdf.clone())
        .await;
    assert_eq!(s, 201, "{v}");
    let keys = boto3(
        port,
        "print(','.join(o['Key'] for o in s3.list_objects_v2(Bucket=sys.argv[1]).get('Contents', [])))",
        &[BUCKET],
    );
    assert_eq!(keys, v["id"].as_str().unwrap(), "objects in the bucket");

    cloud.stop().await;
    moto.kill9().await;
}
