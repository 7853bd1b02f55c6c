"""A local AWS lab for scripts/demo and scripts/bench: moto on 127.0.0.1, an IAM user with a
virtual MFA device and access keys, a role it may assume, and a temporary HOME whose ~/.aws
files point at them. Nothing here reaches the network."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class Lab:
    def __init__(self):
        from moto.server import ThreadedMotoServer
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://127.0.0.1:{port}"
        self.home = Path(tempfile.mkdtemp(prefix="aws-runas-lab-"))
        (self.home / ".aws").mkdir()
        self._setup()

    def _client(self, service):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="AKIALABADMIN0000000",
            aws_secret_access_key="lab-admin-secret",
        )

    def _setup(self):
        iam = self._client("iam")
        iam.create_user(UserName="demo-user")
        key = iam.create_access_key(UserName="demo-user")["AccessKey"]
        mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="demo-user")["VirtualMFADevice"]
        iam.enable_mfa_device(
            UserName="demo-user",
            SerialNumber=mfa["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:user/demo-user"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        iam.create_role(RoleName="demo-admin", AssumeRolePolicyDocument=json.dumps(trust))
        # IAM wants at least 1000 characters of metadata; a comment pads this made-up document.
        metadata = (
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://mock.example">'
            "<!-- " + "demo metadata for the mock identity provider " * 25 + "-->"
            "</md:EntityDescriptor>"
        )
        provider = iam.create_saml_provider(SAMLMetadataDocument=metadata, Name="demo-mock")["SAMLProviderArn"]
        saml_trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML"}],
        }
        iam.create_role(RoleName="demo-saml", AssumeRolePolicyDocument=json.dumps(saml_trust))
        fill = {
            "@MFA_SERIAL@": mfa["SerialNumber"],
            "@ACCESS_KEY_ID@": key["AccessKeyId"],
            "@SECRET_ACCESS_KEY@": key["SecretAccessKey"],
            "@SAML_PROVIDER@": provider,
        }
        for name in ("config", "credentials"):
            text = (REPO / "fixtures" / "demo" / name).read_text()
            for k, v in fill.items():
                text = text.replace(k, v)
            (self.home / ".aws" / name).write_text(text)
        os.chmod(self.home / ".aws" / "credentials", 0o600)

    def env(self):
        return {
            "HOME": str(self.home),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_CONFIG_FILE": str(self.home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / ".aws" / "credentials"),
            "AWS_ENDPOINT_URL": self.url,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def run(self, args, **kw):
        return subprocess.run(args, env=self.env(), stdin=subprocess.DEVNULL, **kw)

    def close(self):
        self.server.stop()
        shutil.rmtree(self.home, ignore_errors=True)
