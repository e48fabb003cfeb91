//! moto's S3 server (PyPI `moto[server]`, installed by `tests/setup.sh`) as the real
//! S3-compatible peer, and boto3 (which moto brings) as an independent client.

use std::time::Duration;

use crate::{python, run_python, wait_http_ok, Proc};

/// boto3 against the moto server: `script` runs with `s3` (a client) and `sys.argv` bound.
pub fn boto3(port: u16, script: &str, args: &[&str]) -> String {
    let prog = format!(
        "import sys, boto3\n\
         s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:{port}', region_name='us-east-1',\n\
                           aws_access_key_id='AKIDREADER', aws_secret_access_key='reader-secret')\n\
         {script}\n"
    );
    let out = run_python(
        "boto3 (run tests/setup.sh for moto[server])",
        ["-c", &prog].into_iter().chain(args.iter().copied()),
    );
    String::from_utf8_lossy(&out).trim().to_string()
}

/// Start moto's S3 server on `port` and wait until it answers.
pub async fn moto(port: u16, log: std::path::PathBuf) -> Proc {
    let port_s = port.to_string();
    let mut moto = Proc::spawn(
        python(),
        &["-m", "moto.server", "-H", "127.0.0.1", "-p", &port_s],
        &[],
        log,
    );
    moto_up(port, &mut moto).await;
    moto
}

pub async fn moto_up(port: u16, moto: &mut Proc) {
    wait_http_ok(
        &format!("http://127.0.0.1:{port}/moto-api/"),
        moto,
        Duration::from_secs(60),
    )
    .await;
}
