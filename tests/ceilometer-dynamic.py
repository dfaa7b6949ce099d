#!/usr/bin/python3
# Runs Ceilometer's own dynamic pollsters (Debian's python3-ceilometer) on a
# definition file of host commands and prints the samples as Ceilometer's
# publisher builds them: one JSON object per sample with the fields the
# test compares. Exit status 77: Ceilometer is not installed.
import json
import sys

try:
    import yaml
    from ceilometer import service
    from ceilometer.polling import dynamic_pollster
    from ceilometer.publisher import utils
except ImportError as e:
    print("ceilometer not importable: %s" % e, file=sys.stderr)
    sys.exit(77)


class NoManager:
    _keystone = None


def main(path):
    conf = service.prepare_service([], [])
    samples = []
    with open(path) as f:
        definitions = yaml.safe_load(f)
    for definition in definitions:
        pollster = dynamic_pollster.DynamicPollster(definition, conf)
        for sample in pollster.get_samples(NoManager(), {}, [None]):
            if sample is None:
                continue
            msg = utils.meter_message_from_counter(sample, "")
            samples.append({
                "counter_name": msg["counter_name"],
                "counter_type": msg["counter_type"],
                "counter_unit": msg["counter_unit"],
                "counter_volume": msg["counter_volume"],
                "user_id": msg["user_id"],
                "project_id": msg["project_id"],
                "resource_id": msg["resource_id"],
                "resource_metadata": msg["resource_metadata"],
            })
    print(json.dumps(samples, separators=(",", ":"), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
