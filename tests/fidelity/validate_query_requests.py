#!/usr/bin/python3
"""Checks AWS Query request bodies sent by DrSentinel's C# clients against botocore's published service models.

The sandbox parses what the clients send, so a client and the sandbox can agree on a wrong key
(`Filters.member.1.Name` where RDS wants `Filters.Filter.1.Name`) and every test passes until real AWS
answers. botocore's models are what AWS publishes; this checks each body against them instead.

Usage: /usr/bin/python3 validate_query_requests.py REQUESTS.json
       /usr/bin/python3 validate_query_requests.py --self-test

REQUESTS.json is a JSON array of {"body": "<raw application/x-www-form-urlencoded body>"}.
Prints one line per problem, then `N passed, M failed` (requests). Exits 1 on any problem, 2 if there are no requests.
"""
import argparse
import base64
import binascii
import email.utils
import gzip
import json
import os
import re
import sys
import urllib.parse

try:
    import botocore
    BOTOCORE_DATA = os.path.join(os.path.dirname(botocore.__file__), 'data')
except ImportError:
    BOTOCORE_DATA = '/usr/lib/python3/dist-packages/botocore/data'

# The Version parameter is how a Query endpoint tells services apart (the sandbox does the same).
SERVICES_BY_VERSION = {
    '2014-10-31': 'rds',
    '2015-02-02': 'elasticache',
    '2011-01-01': 'autoscaling',
    '2016-11-15': 'ec2',
}

ISO8601 = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$')
INDEX = re.compile(r'^[1-9][0-9]*$')


def load_model(service, version):
    folder = os.path.join(BOTOCORE_DATA, service, version)
    plain = os.path.join(folder, 'service-2.json')
    if os.path.exists(plain):
        with open(plain, encoding='utf-8') as f:
            return json.load(f)
    # Newer botocore releases ship their models gzipped.
    with gzip.open(plain + '.gz', 'rt', encoding='utf-8') as f:
        return json.load(f)


class KeyTree:
    """The form keys split on '.': `Filters.Filter.1.Name=x` becomes Filters -> Filter -> 1 -> Name = x."""

    def __init__(self, key):
        self.key = key
        self.value = None
        self.children = {}

    @classmethod
    def of(cls, pairs):
        root = cls('')
        for key, value in pairs:
            node = root
            for token in key.split('.'):
                node = node.children.setdefault(token, cls(f'{node.key}.{token}' if node.key else token))
            node.value = value
        return root

    def leaf_keys(self):
        if self.value is not None:
            yield self.key
        for child in self.children.values():
            yield from child.leaf_keys()


class RequestCheck:
    """Walks one request's key tree along the operation's input shape, collecting problems as (key, reason)."""

    def __init__(self, model):
        self.shapes = model['shapes']
        self.is_ec2 = model['metadata']['protocol'] == 'ec2'
        self.problems = []

    def problem(self, key, reason):
        self.problems.append((key, reason))

    def unknown(self, node, reason):
        for key in node.leaf_keys():
            self.problem(key, reason)

    def check(self, node, shape_name, required_here=False):
        shape = self.shapes[shape_name]
        kind = shape['type']
        if kind == 'structure':
            self.check_structure(node, shape)
        elif kind == 'list':
            self.check_list(node, shape)
        elif kind == 'map':
            self.check_map(node, shape)
        else:
            self.check_scalar(node, shape, required_here)

    def serialized_name(self, member_name, member):
        """The key a structure member travels under, per protocol."""
        if self.is_ec2:
            if 'queryName' in member:
                return member['queryName']
            name = member.get('locationName', member_name)
            return name[:1].upper() + name[1:]
        target = self.shapes[member['shape']]
        if target['type'] == 'list' and target.get('flattened') and 'locationName' in target['member']:
            # A flattened list repeats under its member's name instead of its own.
            return target['member']['locationName']
        return member.get('locationName', member_name)

    def check_structure(self, node, shape):
        if node.value is not None and node.key:
            self.problem(node.key, 'a structure takes member keys, not a value')
        members = {self.serialized_name(name, member): (name, member) for name, member in shape.get('members', {}).items()}
        for token, child in node.children.items():
            if token not in members:
                known = ', '.join(sorted(members)) or 'none'
                self.unknown(child, f'no member {token!r} here (members: {known})')
                continue
            name, member = members[token]
            self.check(child, member['shape'], required_here=name in shape.get('required', []))
        for name in shape.get('required', []):
            token = self.serialized_name(name, shape['members'][name])
            if token not in node.children:
                self.problem(f'{node.key}.{token}' if node.key else token, 'required member is missing')

    def check_list(self, node, shape):
        if not node.children:
            # botocore sends an empty list as the bare key with no value.
            if node.value != '':
                self.problem(node.key, f'a list takes indexed members, not the value {node.value!r}')
            return
        if node.value is not None:
            self.problem(node.key, 'a list key also carries a value')
        items = node
        if not self.is_ec2 and not shape.get('flattened'):
            member_token = shape['member'].get('locationName', 'member')
            for token, child in node.children.items():
                if token != member_token:
                    self.unknown(child, f'list items go under {node.key}.{member_token}.N, not {token!r}')
            items = node.children.get(member_token)
            if items is None:
                return
            if items.value is not None:
                self.problem(items.key, 'a list item needs an index')
        self.check_items(items, lambda child: self.check(child, shape['member']['shape'], required_here=True))
        count = len(items.children)
        if 'min' in shape and count < shape['min'] or 'max' in shape and count > shape['max']:
            self.problem(items.key, f'{count} items; the model allows {shape.get("min", 0)}..{shape.get("max", "any")}')

    def check_items(self, items, check_item):
        indices = []
        for token, child in items.children.items():
            if not INDEX.match(token):
                self.unknown(child, f'{token!r} is not a list index (1, 2, ...)')
                continue
            indices.append(int(token))
            check_item(child)
        if sorted(indices) != list(range(1, len(indices) + 1)):
            self.problem(items.key, f'indices {sorted(indices)} must run from 1 without gaps')

    def check_map(self, node, shape):
        entries = node
        if not shape.get('flattened'):
            for token, child in node.children.items():
                if token != 'entry':
                    self.unknown(child, f'map entries go under {node.key}.entry.N, not {token!r}')
            entries = node.children.get('entry')
            if entries is None:
                self.problem(node.key, 'a map needs entries')
                return
        key_token = shape['key'].get('locationName', 'key')
        value_token = shape['value'].get('locationName', 'value')

        def check_entry(entry):
            for token, child in entry.children.items():
                if token == key_token:
                    self.check(child, shape['key']['shape'], required_here=True)
                elif token == value_token:
                    self.check(child, shape['value']['shape'], required_here=True)
                else:
                    self.unknown(child, f'a map entry has only {key_token} and {value_token}')
            for token in (key_token, value_token):
                if token not in entry.children:
                    self.problem(f'{entry.key}.{token}', 'map entry is missing its ' + token)

        self.check_items(entries, check_entry)

    def check_scalar(self, node, shape, required_here):
        if node.children:
            self.unknown(node, f'{node.key} is a {shape["type"]} and has no members')
        if node.value is None:
            return
        value, kind = node.value, shape['type']
        if kind == 'string':
            self.check_string(node.key, value, shape, required_here)
        elif kind in ('integer', 'long'):
            if not re.fullmatch(r'-?[0-9]+', value):
                self.problem(node.key, f'{value!r} is not an integer')
            elif 'min' in shape and int(value) < shape['min'] or 'max' in shape and int(value) > shape['max']:
                self.problem(node.key, f'{value} is outside {shape.get("min", "")}..{shape.get("max", "")}')
        elif kind in ('float', 'double'):
            try:
                float(value)
            except ValueError:
                self.problem(node.key, f'{value!r} is not a number')
        elif kind == 'boolean':
            if value not in ('true', 'false'):
                self.problem(node.key, f"{value!r} is not 'true' or 'false'")
        elif kind == 'timestamp':
            self.check_timestamp(node.key, value, shape.get('timestampFormat', 'iso8601'))
        elif kind == 'blob':
            try:
                base64.b64decode(value, validate=True)
            except binascii.Error:
                self.problem(node.key, 'a blob must be base64')

    def check_string(self, key, value, shape, required_here):
        # Most model strings declare no minimum, yet AWS answers an empty one as missing; only an explicit 0 allows it.
        if value == '' and (required_here or shape.get('min') != 0):
            self.problem(key, 'empty string' + (' for a required member' if required_here else '; the model does not allow it'))
            return
        if 'enum' in shape and value not in shape['enum']:
            self.problem(key, f'{value!r} is not one of {shape["enum"]}')
        if 'max' in shape and len(value) > shape['max']:
            self.problem(key, f'{len(value)} characters; the model allows at most {shape["max"]}')
        if shape.get('min', 0) > len(value):
            self.problem(key, f'{len(value)} characters; the model needs at least {shape["min"]}')

    def check_timestamp(self, key, value, timestamp_format):
        if timestamp_format == 'unixTimestamp':
            valid = re.fullmatch(r'[0-9]+(\.[0-9]+)?', value) is not None
        elif timestamp_format == 'rfc822':
            valid = email.utils.parsedate_tz(value) is not None
        else:
            valid = ISO8601.match(value) is not None
        if not valid:
            self.problem(key, f'{value!r} is not a timestamp in the {timestamp_format} format')


class Validator:
    """Validates request bodies; loads each service model once."""

    def __init__(self):
        self.models = {}

    def model(self, version):
        if version not in self.models:
            self.models[version] = load_model(SERVICES_BY_VERSION[version], version)
        return self.models[version]

    def problems(self, body):
        """Returns (action, [(key, reason), ...]) for one body; an empty list means AWS would accept its shape."""
        try:
            pairs = urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True)
        except ValueError as error:
            return '?', [('(body)', f'not a form body: {error}')]
        problems = []
        seen = set()
        for key, _ in pairs:
            if key in seen:
                problems.append((key, 'sent more than once'))
            seen.add(key)
        form = dict(pairs)
        action, version = form.pop('Action', ''), form.pop('Version', '')
        if not action:
            problems.append(('Action', 'missing'))
        if version not in SERVICES_BY_VERSION:
            problems.append(('Version', f'{version!r} is none of {sorted(SERVICES_BY_VERSION)}'))
        if problems:
            return action or '?', problems
        model = self.model(version)
        operation = model['operations'].get(action)
        if operation is None:
            return action, [('Action', f'{SERVICES_BY_VERSION[version]} {version} has no operation {action}')]
        check = RequestCheck(model)
        tree = KeyTree.of(form.items())
        if 'input' in operation:
            check.check(tree, operation['input']['shape'])
        else:
            check.unknown(tree, f'{action} takes no parameters')
        return action, check.problems


def validate_file(path):
    with open(path, encoding='utf-8') as f:
        requests = json.load(f)
    if not isinstance(requests, list) or not requests:
        print(f'{path}: no requests (expected a non-empty JSON array of {{"body": ...}})')
        return 2
    validator = Validator()
    passed = failed = 0
    for number, request in enumerate(requests, 1):
        body = request.get('body') if isinstance(request, dict) else None
        if not isinstance(body, str):
            action, problems = '?', [('(request)', 'no "body" string')]
        else:
            action, problems = validator.problems(body)
        for key, reason in problems:
            print(f'request {number} {action}: {key}: {reason}')
        if problems:
            failed += 1
        else:
            passed += 1
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


# (name, body, whether AWS would accept its shape)
SELF_TEST_CASES = [
    ('rds filter with Filter and Value member names',
     'Action=DescribeDBInstances&Version=2014-10-31&Filters.Filter.1.Name=db-instance-id&Filters.Filter.1.Values.Value.1=x', True),
    ('rds filter with generic member names',
     'Action=DescribeDBInstances&Version=2014-10-31&Filters.member.1.Name=db-instance-id&Filters.member.1.Values.member.1=x', False),
    ('rds filter without its required Values',
     'Action=DescribeDBInstances&Version=2014-10-31&Filters.Filter.1.Name=db-instance-id', False),
    ('rds filters with a gap in the indices',
     'Action=DescribeDBInstances&Version=2014-10-31&Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=postgres'
     '&Filters.Filter.3.Name=db-instance-id&Filters.Filter.3.Values.Value.1=x', False),
    ('rds filter index 0', 'Action=DescribeDBInstances&Version=2014-10-31&Filters.Filter.0.Name=engine&Filters.Filter.0.Values.Value.1=x', False),
    ('rds MaxRecords not a number', 'Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=lots', False),
    ('rds reboot with failover', 'Action=RebootDBInstance&Version=2014-10-31&DBInstanceIdentifier=pyairtable-primary&ForceFailover=true', True),
    ('rds reboot without DBInstanceIdentifier', 'Action=RebootDBInstance&Version=2014-10-31&ForceFailover=true', False),
    ('rds reboot with an empty DBInstanceIdentifier', 'Action=RebootDBInstance&Version=2014-10-31&DBInstanceIdentifier=', False),
    ('rds ForceFailover spelled True', 'Action=RebootDBInstance&Version=2014-10-31&DBInstanceIdentifier=db&ForceFailover=True', False),
    ('rds events since an ISO 8601 time',
     'Action=DescribeEvents&Version=2014-10-31&SourceType=db-instance&StartTime=2024-05-01T10%3A00%3A00.000Z', True),
    ('rds events since a time that is not ISO 8601', 'Action=DescribeEvents&Version=2014-10-31&StartTime=yesterday', False),
    ('rds events from an unknown SourceType', 'Action=DescribeEvents&Version=2014-10-31&SourceType=db-banana', False),
    ('rds unknown action', 'Action=FailoverEverything&Version=2014-10-31', False),
    ('unknown version', 'Action=DescribeDBInstances&Version=2099-01-01', False),
    ('no action', 'Version=2014-10-31', False),
    ('a key sent twice', 'Action=RebootDBInstance&Version=2014-10-31&DBInstanceIdentifier=a&DBInstanceIdentifier=b', False),
    ('elasticache test failover', 'Action=TestFailover&Version=2015-02-02&ReplicationGroupId=pyairtable-redis&NodeGroupId=0001', True),
    ('elasticache modify', 'Action=ModifyReplicationGroup&Version=2015-02-02&ReplicationGroupId=g&MultiAZEnabled=false&ApplyImmediately=true', True),
    ('elasticache modify with a misspelt member', 'Action=ModifyReplicationGroup&Version=2015-02-02&ReplicationGroupId=g&MultiAzEnabled=false', False),
    ('autoscaling set desired capacity', 'Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=g&DesiredCapacity=4', True),
    ('autoscaling DesiredCapacity=abc', 'Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=g&DesiredCapacity=abc', False),
    ('autoscaling describe by tag key',
     'Action=DescribeAutoScalingGroups&Version=2011-01-01&Filters.member.1.Name=tag-key'
     '&Filters.member.1.Values.member.1=k8s.io%2Fcluster-autoscaler%2Fenabled', True),
    ('autoscaling describe with the rds filter layout',
     'Action=DescribeAutoScalingGroups&Version=2011-01-01&Filters.Filter.1.Name=tag-key&Filters.Filter.1.Values.Value.1=k', False),
    ('autoscaling tag with an empty value',
     'Action=CreateOrUpdateTags&Version=2011-01-01&Tags.member.1.ResourceId=g&Tags.member.1.ResourceType=auto-scaling-group'
     '&Tags.member.1.Key=team&Tags.member.1.Value=&Tags.member.1.PropagateAtLaunch=false', True),
    ('autoscaling tag without its Key',
     'Action=CreateOrUpdateTags&Version=2011-01-01&Tags.member.1.ResourceId=g&Tags.member.1.Value=v', False),
    ('autoscaling suspend with an empty process list', 'Action=SuspendProcesses&Version=2011-01-01&AutoScalingGroupName=g&ScalingProcesses=', True),
    ('autoscaling list given a plain value', 'Action=SuspendProcesses&Version=2011-01-01&AutoScalingGroupName=g&ScalingProcesses=Launch', False),
    ('ec2 subnets by id and zone',
     'Action=DescribeSubnets&Version=2016-11-15&SubnetId.1=subnet-1&SubnetId.2=subnet-2'
     '&Filter.1.Name=availability-zone&Filter.1.Value.1=eu-central-1a', True),
    ('ec2 subnets with Query-style list keys', 'Action=DescribeSubnets&Version=2016-11-15&SubnetIds.member.1=subnet-1', False),
    ('ec2 MaxResults below the model minimum', 'Action=DescribeSubnets&Version=2016-11-15&MaxResults=2', False),
    ('ec2 DryRun capitalised from its locationName', 'Action=DescribeSubnets&Version=2016-11-15&DryRun=false', True),
]


def self_test():
    validator = Validator()
    passed = failed = 0
    for name, body, acceptable in SELF_TEST_CASES:
        _, problems = validator.problems(body)
        if (not problems) == acceptable:
            passed += 1
            print(f'ok {name}' + (f' (refused: {problems[0][0]}: {problems[0][1]})' if problems else ''))
        else:
            failed += 1
            found = '; '.join(f'{key}: {reason}' for key, reason in problems) or 'no problem'
            print(f'FAIL {name}: expected {"no problem" if acceptable else "a problem"}, found {found}')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('requests', nargs='?', help='JSON array of {"body": "..."} captured from the C# clients')
    parser.add_argument('--self-test', action='store_true', help='judge built-in good and bad bodies instead')
    args = parser.parse_args()
    if args.self_test:
        sys.exit(self_test())
    if not args.requests:
        parser.error('REQUESTS.json or --self-test is required')
    sys.exit(validate_file(args.requests))


if __name__ == '__main__':
    main()
