"""scripts/demo's body: shows aws-runas getting credentials from a local AWS emulator."""

import sys
from awslab import Lab

binary = sys.argv[1]


def show(title, args, lab):
    print(f"\n$ aws-runas {' '.join(args)}    # {title}", flush=True)
    done = lab.run([binary, *args])
    if done.returncode != 0:
        sys.exit(f"demo step failed with exit code {done.returncode}")


lab = Lab()
try:
    print(f"moto (a local AWS emulator) is answering on {lab.url}; HOME is {lab.home}")
    print("profiles in $HOME/.aws/config:")
    print((lab.home / ".aws" / "config").read_text())
    show("MFA code given with -o: GetSessionToken, then AssumeRole", ["-o", "123456", "demo-admin"], lab)
    show("credential_process JSON, served from the cache", ["-O", "json", "demo-admin"], lab)
    show("when do they expire?", ["-e", "demo-admin"], lab)
    show("run a command: its SDK refreshes from a private credential endpoint", ["demo-admin", "sh", "-c", 'echo "the child asks $AWS_CONTAINER_CREDENTIALS_FULL_URI (region $AWS_REGION); no static keys: ${AWS_ACCESS_KEY_ID:-none}"'], lab)
    show("-E: the command gets static keys instead", ["-E", "demo-admin", "sh", "-c", 'echo "the child sees $AWS_ACCESS_KEY_ID in $AWS_REGION"'], lab)
    show("the IAM user's own MFA session (GetSessionToken), cached and shared", ["demo-user"], lab)
    show("a SAML login (the built-in mock identity provider), then AssumeRoleWithSAML", ["-O", "json", "demo-saml"], lab)
    show("the roles the identity provider grants", ["list", "roles", "demo-saml"], lab)
    show("the identity-provider adapters in this build", ["providers"], lab)
    print("\ncache files written (mode 0600):")
    for f in sorted((lab.home / ".aws").glob(".aws_*")):
        if not f.name.endswith(".lock"):
            print(f"  {oct(f.stat().st_mode & 0o777)}  {f.name}")
finally:
    lab.close()
