// The JS package on S3 in Node (node --test), against the SeaweedFS tests/js/s3.sh starts.
import { test } from "node:test";

import { CairnError, Repository } from "@cairn-backup/cairn";

import { s3Scenarios } from "./s3.mjs";

s3Scenarios(test, { Repository, CairnError, runtime: "node" });
