"""Training job end to end (load from DB -> features -> candidates -> holdout -> store), per size.

    .venv/bin/python bench/train.py [--sizes 10000,100000,1000000]

The data is written straight into a fresh embedded database; the job then runs in a child
process exactly as the Event Hub trigger runs it, so its wall time and peak RSS are its own.
The model's holdout AUC is printed beside the Bayes limit: the AUC of the generator's true
probabilities on the same holdout orders (the most recent 20% of labeled orders).
Targets on the 2-core machine: 100k <= 60 s; 1M <= 10 min and <= 2 GB peak RSS; AUC >= Bayes - 0.01.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.metrics import roc_auc_score  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bench.common import prepared_rows  # noqa: E402
from shared.config import get_settings  # noqa: E402
from shared.db import get_engine, transaction  # noqa: E402
from shared.db.migrate import upgrade  # noqa: E402
from shared.db.models import ModelVersion, Tenant, TrainingJob, Upload  # noqa: E402
from shared.devhost.process import environment  # noqa: E402
from shared.sample_data import generate  # noqa: E402
from shared.security import Principal  # noqa: E402
from shared.services import uploads  # noqa: E402

# The job prints its own peak RSS (VmHWM) last: the ru_maxrss that wait4 reports for a child also
# counts the memory of this process, which the child was forked from (Linux records it at exec).
JOB = "import logging, pathlib, sys, uuid; from shared.config import get_settings; from shared.services import training; " \
      "logging.basicConfig(level=logging.INFO); training.run_job(get_settings(), uuid.UUID(sys.argv[1])); " \
      "print(pathlib.Path('/proc/self/status').read_text().split('VmHWM:')[1].split()[0], file=sys.stderr)"


def load(sample) -> uuid.UUID:
    """Writes the sample for a new tenant and commits it; returns the queued training job."""
    with transaction() as session:
        tenant = Tenant(company="Bench")
        session.add(tenant)
        session.flush()
        upload = Upload(tenant_id=tenant.id, status="open")
        session.add(upload)
        session.flush()
        tenant_id, upload_id = tenant.id, upload.id
    with get_engine().begin() as connection:
        for table, rows in prepared_rows(sample, tenant_id, upload_id):
            connection.execute(insert(table), rows)
    return uploads.commit_upload(get_settings(), Principal(tenant_id), upload_id, train=True).training_job_id


def bayes_on_holdout(sample) -> float:
    labeled = sample.orders[sample.orders["invoiced"].notna()].sort_values("ordered_at", kind="stable")
    holdout = labeled.iloc[len(labeled) - round(0.2 * len(labeled)):]
    return roc_auc_score(holdout["invoiced"].astype(bool), sample.true_probability.loc[holdout["order_id"]])


def run_job(data_dir: Path, job_id: uuid.UUID) -> tuple[float, float, str]:
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", JOB, str(job_id)], env=environment(data_dir),
                           stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    stages = re.search(r"stages (\{.*\})", child.stderr)
    peak_kb = child.stderr.split()[-1] if child.returncode == 0 else "nan"
    return elapsed, float(peak_kb) / 1024, stages.group(1) if stages else child.stderr[-2000:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    print(f"{'orders':>9} {'job s':>8} {'peak MB':>8} {'AUC':>7} {'Bayes':>7} {'gap':>7}  stages (s)")
    for size in (int(part) for part in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench-train-") as data_dir:
            os.environ["APP_DATA_DIR"] = data_dir
            get_settings.cache_clear()
            upgrade()
            sample = generate(orders=size, seed=13)
            job_id = load(sample)
            seconds, peak_mb, stages = run_job(Path(data_dir), job_id)
            with transaction() as session:
                job = session.get(TrainingJob, job_id)
                auc = session.scalar(select(ModelVersion.metrics).where(ModelVersion.training_job_id == job_id))
                if job.status != "succeeded":
                    raise SystemExit(f"{size}: job {job.status}: {job.error}\n{stages}")
            bayes = bayes_on_holdout(sample)
            print(f"{size:>9,} {seconds:>8.1f} {peak_mb:>8.0f} {auc['roc_auc']:>7.4f} {bayes:>7.4f} "
                  f"{auc['roc_auc'] - bayes:>+7.4f}  {stages}", flush=True)
            get_engine().dispose()


if __name__ == "__main__":
    main()
