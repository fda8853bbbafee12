// The JS package on S3 in Deno (deno test), against the SeaweedFS tests/js/s3.sh starts.
import { CairnError, Repository } from "@cairn-backup/cairn";

import { s3Scenarios } from "./s3.mjs";

s3Scenarios((name, fn) => Deno.test(name, fn), { Repository, CairnError, runtime: "deno" });
