#!/usr/bin/python3
"""Drives the sandbox region with the official boto3 client and checks what boto3's own models parse.

The sandbox is written from the AWS documentation, and DrSentinel's C# clients are written against the
sandbox; if both misread the same page, only a third party notices. boto3 is that third party: it signs
with its own SigV4 code and parses with the published service models.

Usage: /usr/bin/python3 boto3_fidelity.py ENDPOINT_URL [--deadline SECONDS]

Prints `ok <check>` or `FAIL <check>: <reason>` per check, then `N passed, M failed`; exits 1 on any failure.
The checks run in order and some change the region (an RDS failover, ElastiCache failovers up to the daily
TestFailover quota, a promoted replica, a larger Auto Scaling group, tags, zones failed and recovered through the
control API), so point it at a sandbox no drill is using.
"""
import argparse
import datetime
import json
import sys
import time
import urllib.parse
import urllib.request

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

ACCESS_KEY_ID = 'AKIASANDBOXDRSENTINEL'
SECRET_ACCESS_KEY = 'sandbox/secret/access/key/for/drills0000'
REGION = 'eu-central-1'
ACCOUNT_ID = '123456789012'

PRIMARY_DB = 'pyairtable-primary'
REPLICA_DB = 'pyairtable-read-replica'
REDIS_GROUP = 'pyairtable-redis'
REDIS_NODE_GROUP = '0001'
AUTOSCALER_TAG = 'k8s.io/cluster-autoscaler/enabled'
DRILL_TAG = 'drsentinel/fidelity-check'
# A playbook keeps its ledger in a tag on the resource it acts on.
LEDGER_TAG = 'drsentinel/ledger'
# The operator's opt-in the default topology gives the resources DrSentinel may change (docs/iam-policy.json's condition).
OPTED_IN = {'drsentinel.io/allowed': 'true'}
# AWS allows TestFailover on at most 15 node groups in any rolling 24 hours.
TEST_FAILOVERS_PER_DAY = 15
# RDS keeps events for 14 days; asking for all of them keeps the check independent of the sandbox's speed.
EVENT_WINDOW_MINUTES = 14 * 24 * 60


class Region:
    """Clients for the sandbox plus the facts one check leaves for a later one."""

    def __init__(self, endpoint_url, deadline_seconds):
        self.endpoint_url = endpoint_url
        self.deadline_seconds = deadline_seconds
        self.facts = {}
        self.rds = self.client('rds')
        self.elasticache = self.client('elasticache')
        self.autoscaling = self.client('autoscaling')
        self.ec2 = self.client('ec2')
        self.sts = self.client('sts')
        self.zonal_shift = self.client('arc-zonal-shift')

    def client(self, service, access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY):
        # botocore's `max_attempts` counts retries (1 would still allow a second try);
        # `total_max_attempts` counts every attempt, so a refusal or a 500 surfaces on the first answer.
        config = Config(retries={'total_max_attempts': 1, 'mode': 'standard'}, connect_timeout=5, read_timeout=15)
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, config=config)

    def need(self, fact):
        if fact not in self.facts:
            raise AssertionError(f'an earlier check did not record {fact!r}; see the failure above')
        return self.facts[fact]

    def wait_until(self, what, probe):
        """Calls probe until it returns something truthy; fails after the deadline, saying what it saw last."""
        give_up_at = time.monotonic() + self.deadline_seconds
        while True:
            outcome, seen = probe()
            if outcome:
                return seen
            if time.monotonic() > give_up_at:
                raise AssertionError(f'{what} did not happen within {self.deadline_seconds}s; last seen: {seen}')
            time.sleep(0.1)


def control(region, method, path, body=None):
    """Steers the region through the sandbox's control API (/sandbox/...), as a drill does."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(region.endpoint_url.rstrip('/') + path, data=data, method=method,
                                     headers={'content-type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_status(error, status):
    actual = error.response['ResponseMetadata']['HTTPStatusCode']
    expect(actual == status, f'expected HTTP {status}, got {actual}')


def tag_dict(tags):
    return {t['Key']: t.get('Value') for t in tags}


def expect_error(code, call, **params):
    try:
        call(**params)
    except ClientError as error:
        actual = error.response.get('Error', {}).get('Code')
        expect(actual == code, f'expected error {code}, got {actual}: {error}')
        return error
    raise AssertionError(f'expected error {code}, but the call succeeded')


# --- RDS -------------------------------------------------------------------------------------------------

def db_instances(region):
    return {d['DBInstanceIdentifier']: d for d in region.rds.describe_db_instances()['DBInstances']}


def rds_describe_db_instances(region):
    instances = db_instances(region)
    expect({PRIMARY_DB, REPLICA_DB} <= instances.keys(), f'instances are {sorted(instances)}')
    primary, replica = instances[PRIMARY_DB], instances[REPLICA_DB]
    for db in (primary, replica):
        name = db['DBInstanceIdentifier']
        expect(db.get('DBInstanceStatus') == 'available', f'{name} status is {db.get("DBInstanceStatus")}')
        expect(str(db.get('AvailabilityZone', '')).startswith(REGION), f'{name} AvailabilityZone is {db.get("AvailabilityZone")}')
        endpoint = db.get('Endpoint', {})
        expect(endpoint.get('Address'), f'{name} has no Endpoint.Address')
        expect(isinstance(endpoint.get('Port'), int), f'{name} Endpoint.Port is {endpoint.get("Port")!r}')
        expect(isinstance(db.get('InstanceCreateTime'), datetime.datetime), f'{name} InstanceCreateTime did not parse as a time')
    expect(primary.get('MultiAZ') is True, f'primary MultiAZ is {primary.get("MultiAZ")!r}')
    secondary = primary.get('SecondaryAvailabilityZone')
    expect(secondary and secondary != primary['AvailabilityZone'],
           f'primary zones are {primary["AvailabilityZone"]} / {secondary}')
    expect(primary.get('ReadReplicaDBInstanceIdentifiers') == [REPLICA_DB],
           f'primary ReadReplicaDBInstanceIdentifiers is {primary.get("ReadReplicaDBInstanceIdentifiers")}')
    expect(replica.get('MultiAZ') is False, f'replica MultiAZ is {replica.get("MultiAZ")!r}')
    expect('SecondaryAvailabilityZone' not in replica, 'a single-AZ replica reports a SecondaryAvailabilityZone')
    expect(replica.get('ReadReplicaSourceDBInstanceIdentifier') == PRIMARY_DB,
           f'replica ReadReplicaSourceDBInstanceIdentifier is {replica.get("ReadReplicaSourceDBInstanceIdentifier")}')


def rds_describe_db_instances_filtered(region):
    answer = region.rds.describe_db_instances(Filters=[{'Name': 'db-instance-id', 'Values': [REPLICA_DB]}])
    names = [d['DBInstanceIdentifier'] for d in answer['DBInstances']]
    expect(names == [REPLICA_DB], f'filter db-instance-id={REPLICA_DB} returned {names}')


def rds_backups(region):
    instances = db_instances(region)
    horizon = instances[PRIMARY_DB].get('LatestRestorableTime')
    expect(isinstance(horizon, datetime.datetime), f'primary LatestRestorableTime is {horizon!r}')
    expect('LatestRestorableTime' not in instances[REPLICA_DB], 'a read replica reports a LatestRestorableTime')
    snapshots = region.rds.describe_db_snapshots(DBInstanceIdentifier=PRIMARY_DB, SnapshotType='automated')['DBSnapshots']
    expect(len(snapshots) == 7, f'{len(snapshots)} automated snapshots of the primary, expected a week of them')
    for snapshot in snapshots:
        expect(snapshot.get('SnapshotType') == 'automated' and snapshot.get('Status') == 'available', f'snapshot {snapshot}')
        expect(isinstance(snapshot.get('SnapshotCreateTime'), datetime.datetime), f'SnapshotCreateTime of {snapshot.get("DBSnapshotIdentifier")} did not parse')
    times = [snapshot['SnapshotCreateTime'] for snapshot in snapshots]
    expect(times == sorted(times) and times[-1] <= horizon + datetime.timedelta(days=1), f'snapshot times {times}')
    expect(region.rds.describe_db_snapshots(DBInstanceIdentifier=REPLICA_DB)['DBSnapshots'] == [], 'a read replica has automated snapshots')
    expect_error('InvalidParameterValue', region.rds.describe_db_snapshots, SnapshotType='weekly')


def rds_describe_db_clusters(region):
    answer = region.rds.describe_db_clusters()
    expect(answer.get('DBClusters') == [], f'DBClusters is {answer.get("DBClusters")!r}; the default topology has none')


def rds_failover_unknown_cluster_refused(region):
    expect_error('DBClusterNotFoundFault', region.rds.failover_db_cluster, DBClusterIdentifier='no-such-cluster')


def rds_tags(region):
    primary = db_instances(region)[PRIMARY_DB]
    arn = primary.get('DBInstanceArn')
    expect(arn == f'arn:aws:rds:{REGION}:{ACCOUNT_ID}:db:{PRIMARY_DB}', f'DBInstanceArn is {arn}')
    region.rds.add_tags_to_resource(ResourceName=arn, Tags=[{'Key': LEDGER_TAG, 'Value': 'step-1'}, {'Key': DRILL_TAG, 'Value': 'boto3'}])
    region.rds.add_tags_to_resource(ResourceName=arn, Tags=[{'Key': LEDGER_TAG, 'Value': 'step-2'}])
    listed = tag_dict(region.rds.list_tags_for_resource(ResourceName=arn)['TagList'])
    expect(listed == {**OPTED_IN, LEDGER_TAG: 'step-2', DRILL_TAG: 'boto3'}, f'ListTagsForResource says {listed}')
    described = db_instances(region)
    expect(tag_dict(described[PRIMARY_DB].get('TagList', [])) == listed, f'DescribeDBInstances TagList is {described[PRIMARY_DB].get("TagList")}')
    expect(tag_dict(described[REPLICA_DB].get('TagList', [])) == OPTED_IN, f'the replica, only opted in, has TagList {described[REPLICA_DB].get("TagList")!r}')
    region.rds.remove_tags_from_resource(ResourceName=arn, TagKeys=[DRILL_TAG, 'drsentinel/never-set'])
    left = tag_dict(region.rds.list_tags_for_resource(ResourceName=arn)['TagList'])
    expect(left == {**OPTED_IN, LEDGER_TAG: 'step-2'}, f'after RemoveTagsFromResource the tags are {left}')
    region.facts['primary arn'] = arn


def rds_tags_of_unknown_or_malformed_arn_refused(region):
    arn = region.need('primary arn')
    error = expect_error('DBInstanceNotFound', region.rds.list_tags_for_resource, ResourceName=arn.replace(PRIMARY_DB, 'no-such-db'))
    expect_status(error, 404)
    error = expect_error('DBInstanceNotFound', region.rds.add_tags_to_resource,
                         ResourceName=arn.replace(PRIMARY_DB, 'no-such-db'), Tags=[{'Key': DRILL_TAG, 'Value': 'x'}])
    expect_status(error, 404)
    error = expect_error('InvalidParameterValue', region.rds.add_tags_to_resource, ResourceName=PRIMARY_DB, Tags=[{'Key': DRILL_TAG, 'Value': 'x'}])
    expect_status(error, 400)


def rds_forced_failover_into_a_failed_zone_stays(region):
    """A standby in a zone that lost power cannot be promoted: the instance reboots and comes back where it was."""
    before = db_instances(region)[PRIMARY_DB]
    zone, standby = before['AvailabilityZone'], before['SecondaryAvailabilityZone']
    control(region, 'POST', f'/sandbox/zones/{standby}/fail?mode=hard')
    try:
        db = region.rds.reboot_db_instance(DBInstanceIdentifier=PRIMARY_DB, ForceFailover=True)['DBInstance']
        expect(db['DBInstanceStatus'] == 'rebooting', f'status is {db["DBInstanceStatus"]}')

        def rebooted():
            db = db_instances(region)[PRIMARY_DB]
            seen = (db['DBInstanceStatus'], db['AvailabilityZone'], db.get('SecondaryAvailabilityZone'))
            return seen[0] == 'available', seen

        seen = region.wait_until(f'{PRIMARY_DB} available again', rebooted)
        expect(seen == ('available', zone, standby), f'zones moved: {seen}, expected primary in {zone} and standby in {standby}')
        events = region.rds.describe_events(SourceIdentifier=PRIMARY_DB, SourceType='db-instance', Duration=EVENT_WINDOW_MINUTES)['Events']
        failed = [e['Message'] for e in events if 'failover' in e.get('EventCategories', []) and 'did not complete' in e['Message']]
        expect(failed, f'no event says the failover did not complete: {[e["Message"] for e in events]}')
    finally:
        control(region, 'POST', f'/sandbox/zones/{standby}/recover')


def rds_reboot_with_force_failover(region):
    before = db_instances(region)[PRIMARY_DB]
    region.facts['primary zones before failover'] = (before['AvailabilityZone'], before['SecondaryAvailabilityZone'])
    db = region.rds.reboot_db_instance(DBInstanceIdentifier=PRIMARY_DB, ForceFailover=True)['DBInstance']
    expect(db['DBInstanceIdentifier'] == PRIMARY_DB, f'answer is about {db["DBInstanceIdentifier"]}')
    expect(db['DBInstanceStatus'] == 'rebooting', f'status is {db["DBInstanceStatus"]}')


def rds_failover_swaps_zones(region):
    zone, standby = region.need('primary zones before failover')

    def swapped():
        db = db_instances(region)[PRIMARY_DB]
        seen = (db['DBInstanceStatus'], db['AvailabilityZone'], db.get('SecondaryAvailabilityZone'))
        return seen == ('available', standby, zone), seen

    region.wait_until(f'{PRIMARY_DB} available in {standby} with standby in {zone}', swapped)


def rds_ledger_tag_survives_failover(region):
    tags = tag_dict(region.rds.list_tags_for_resource(ResourceName=region.need('primary arn'))['TagList'])
    expect(tags == {**OPTED_IN, LEDGER_TAG: 'step-2'}, f'after the failover the tags are {tags}')


def rds_promote_read_replica(region):
    db = region.rds.promote_read_replica(DBInstanceIdentifier=REPLICA_DB)['DBInstance']
    expect(db['DBInstanceIdentifier'] == REPLICA_DB, f'answer is about {db["DBInstanceIdentifier"]}')
    expect(db['DBInstanceStatus'] == 'modifying', f'status is {db["DBInstanceStatus"]}')


def rds_promotion_detaches_replica(region):
    def detached():
        instances = db_instances(region)
        replica, primary = instances[REPLICA_DB], instances[PRIMARY_DB]
        seen = (replica['DBInstanceStatus'], replica.get('ReadReplicaSourceDBInstanceIdentifier'),
                primary.get('ReadReplicaDBInstanceIdentifiers'))
        return seen == ('available', None, []), seen

    region.wait_until(f'{REPLICA_DB} standing alone', detached)


def rds_describe_events_source_without_type_refused(region):
    """botocore: "If SourceIdentifier is supplied, SourceType must also be provided." """
    error = expect_error('InvalidParameterCombination', region.rds.describe_events, SourceIdentifier=PRIMARY_DB)
    expect_status(error, 400)


def rds_describe_events_shows_failover(region):
    events = region.rds.describe_events(SourceIdentifier=PRIMARY_DB, SourceType='db-instance',
                                        Duration=EVENT_WINDOW_MINUTES)['Events']
    failovers = [e for e in events if 'failover' in e.get('EventCategories', [])]
    expect(failovers, f'no failover event among {[e.get("Message") for e in events]}')
    for event in failovers:
        expect(event.get('SourceIdentifier') == PRIMARY_DB, f'event source is {event.get("SourceIdentifier")}')
        expect(isinstance(event.get('Date'), datetime.datetime), f'event Date {event.get("Date")!r} did not parse as a time')
        expect(event.get('Message'), 'a failover event has no Message')


# --- ElastiCache -----------------------------------------------------------------------------------------

def elasticache_snapshots(region):
    snapshots = region.elasticache.describe_snapshots(ReplicationGroupId=REDIS_GROUP)['Snapshots']
    expect(len(snapshots) == 7, f'{len(snapshots)} snapshots of {REDIS_GROUP}, expected a week of them')
    for snapshot in snapshots:
        expect(snapshot.get('SnapshotSource') == 'automated' and snapshot.get('SnapshotStatus') == 'available', f'snapshot {snapshot}')
        taken = snapshot.get('NodeSnapshots', [{}])[0].get('SnapshotCreateTime')
        expect(isinstance(taken, datetime.datetime), f'NodeSnapshots[0].SnapshotCreateTime of {snapshot.get("SnapshotName")} is {taken!r}')
    expect_error('InvalidParameterValue', region.elasticache.describe_snapshots, SnapshotSource='weekly')


def redis_group(region):
    return region.elasticache.describe_replication_groups(ReplicationGroupId=REDIS_GROUP)['ReplicationGroups'][0]


def primary_cluster(group):
    return [m['CacheClusterId'] for m in group['NodeGroups'][0]['NodeGroupMembers'] if m.get('CurrentRole') == 'primary']


def wait_for_redis_available(region):
    def available():
        group = redis_group(region)
        return group['Status'] == 'available', group['Status']

    region.wait_until(f'{REDIS_GROUP} available', available)


def elasticache_describe_replication_groups(region):
    groups = region.elasticache.describe_replication_groups()['ReplicationGroups']
    expect([g['ReplicationGroupId'] for g in groups] == [REDIS_GROUP], f'groups are {[g["ReplicationGroupId"] for g in groups]}')
    group = groups[0]
    expect(group.get('Status') == 'available', f'status is {group.get("Status")}')
    expect(group.get('AutomaticFailover') == 'enabled', f'AutomaticFailover is {group.get("AutomaticFailover")}')
    expect(group.get('MultiAZ') == 'enabled', f'MultiAZ is {group.get("MultiAZ")}')
    node_groups = group.get('NodeGroups', [])
    expect(len(node_groups) == 1 and node_groups[0].get('NodeGroupId') == REDIS_NODE_GROUP,
           f'node groups are {[n.get("NodeGroupId") for n in node_groups]}')
    members = node_groups[0].get('NodeGroupMembers', [])
    expect(len(members) == 3, f'{len(members)} node group members')
    for member in members:
        expect(member.get('CacheClusterId'), 'a member has no CacheClusterId')
        expect(member.get('CurrentRole') in ('primary', 'replica'), f'{member.get("CacheClusterId")} CurrentRole is {member.get("CurrentRole")}')
        expect(str(member.get('PreferredAvailabilityZone', '')).startswith(REGION),
               f'{member.get("CacheClusterId")} PreferredAvailabilityZone is {member.get("PreferredAvailabilityZone")}')
    expect(len(primary_cluster(group)) == 1, f'primaries are {primary_cluster(group)}')
    expect(sorted(group.get('MemberClusters', [])) == sorted(m['CacheClusterId'] for m in members),
           f'MemberClusters {group.get("MemberClusters")} disagree with the node group members')


def elasticache_test_failover(region):
    region.facts['redis primary before failover'] = primary_cluster(redis_group(region))
    group = region.elasticache.test_failover(ReplicationGroupId=REDIS_GROUP, NodeGroupId=REDIS_NODE_GROUP)['ReplicationGroup']
    region.facts['test failovers so far'] = 1
    expect(group['Status'] == 'modifying', f'status is {group["Status"]}')


def elasticache_second_test_failover_refused(region):
    expect_error('InvalidReplicationGroupState', region.elasticache.test_failover,
                 ReplicationGroupId=REDIS_GROUP, NodeGroupId=REDIS_NODE_GROUP)


def elasticache_test_failover_moves_primary(region):
    before = region.need('redis primary before failover')

    def moved():
        group = redis_group(region)
        seen = (group['Status'], primary_cluster(group))
        return group['Status'] == 'available' and len(seen[1]) == 1 and seen[1] != before, seen

    region.wait_until(f'a new primary instead of {before}', moved)


def elasticache_describe_cache_clusters(region):
    clusters = region.elasticache.describe_cache_clusters(ShowCacheNodeInfo=True)['CacheClusters']
    members = {m['CacheClusterId']: m for m in redis_group(region)['NodeGroups'][0]['NodeGroupMembers']}
    expect(sorted(c['CacheClusterId'] for c in clusters) == sorted(members), f'clusters are {[c["CacheClusterId"] for c in clusters]}')
    for cluster in clusters:
        expect(cluster.get('ReplicationGroupId') == REDIS_GROUP, f'{cluster["CacheClusterId"]} belongs to {cluster.get("ReplicationGroupId")}')
        expect(cluster.get('PreferredAvailabilityZone') == members[cluster['CacheClusterId']]['PreferredAvailabilityZone'],
               f'{cluster["CacheClusterId"]} zone {cluster.get("PreferredAvailabilityZone")} disagrees with the replication group')
        nodes = cluster.get('CacheNodes', [])
        expect(len(nodes) == 1 and nodes[0].get('Endpoint', {}).get('Port'), f'{cluster["CacheClusterId"]} nodes are {nodes}')
        expect(nodes[0]['Endpoint'] == members[cluster['CacheClusterId']]['ReadEndpoint'],
               f'{cluster["CacheClusterId"]} node endpoint {nodes[0]["Endpoint"]} is not its ReadEndpoint')
    one = region.elasticache.describe_cache_clusters(CacheClusterId=clusters[0]['CacheClusterId'])['CacheClusters']
    expect(len(one) == 1 and 'CacheNodes' not in one[0], f'without ShowCacheNodeInfo: {one}')
    expect_error('CacheClusterNotFound', region.elasticache.describe_cache_clusters, CacheClusterId='no-such-cluster')


def elasticache_describe_events_shows_failover(region):
    events = region.elasticache.describe_events(SourceType='replication-group', SourceIdentifier=REDIS_GROUP, Duration=14 * 24 * 60)['Events']
    messages = [e['Message'] for e in events]
    expect(any('Test Failover API called' in m for m in messages), f'no Test Failover event in {messages}')
    expect(any('Failover from master node' in m and 'completed' in m for m in messages), f'no completed failover in {messages}')
    expect(all(isinstance(e['Date'], datetime.datetime) for e in events), 'an event Date did not parse as a time')
    expect_error('InvalidParameterValue', region.elasticache.describe_events, Duration=2147483647)


def elasticache_modify_replication_group(region):
    wait_for_redis_available(region)
    group = region.elasticache.modify_replication_group(
        ReplicationGroupId=REDIS_GROUP, MultiAZEnabled=False, ApplyImmediately=True)['ReplicationGroup']
    expect(group.get('MultiAZ') == 'disabled', f'answer says MultiAZ {group.get("MultiAZ")}')
    described = redis_group(region)
    expect(described.get('MultiAZ') == 'disabled', f'Describe says MultiAZ {described.get("MultiAZ")}')
    expect(described.get('AutomaticFailover') == 'enabled', f'AutomaticFailover became {described.get("AutomaticFailover")}')
    # Put Multi-AZ back so the region is left as the topology describes it.
    region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, MultiAZEnabled=True, ApplyImmediately=True)
    expect(redis_group(region).get('MultiAZ') == 'enabled', 'MultiAZ did not come back to enabled')


def elasticache_tags(region):
    arn = redis_group(region).get('ARN')
    expect(arn == f'arn:aws:elasticache:{REGION}:{ACCOUNT_ID}:replicationgroup:{REDIS_GROUP}', f'ARN is {arn}')
    added = region.elasticache.add_tags_to_resource(
        ResourceName=arn, Tags=[{'Key': LEDGER_TAG, 'Value': 'step-1'}, {'Key': DRILL_TAG, 'Value': 'boto3'}])['TagList']
    expect(tag_dict(added) == {**OPTED_IN, LEDGER_TAG: 'step-1', DRILL_TAG: 'boto3'}, f'AddTagsToResource answers {added}')
    listed = tag_dict(region.elasticache.list_tags_for_resource(ResourceName=arn)['TagList'])
    expect(listed == tag_dict(added), f'ListTagsForResource says {listed}')
    left = tag_dict(region.elasticache.remove_tags_from_resource(ResourceName=arn, TagKeys=[DRILL_TAG])['TagList'])
    expect(left == {**OPTED_IN, LEDGER_TAG: 'step-1'}, f'RemoveTagsFromResource answers {left}')
    region.facts['redis arn'] = arn


def elasticache_tags_of_unknown_or_malformed_arn_refused(region):
    arn = region.need('redis arn')
    error = expect_error('ReplicationGroupNotFoundFault', region.elasticache.list_tags_for_resource,
                         ResourceName=arn.replace(REDIS_GROUP, 'no-such-group'))
    expect_status(error, 404)
    error = expect_error('InvalidARN', region.elasticache.add_tags_to_resource,
                         ResourceName=f'arn:aws:elasticache:{REGION}:{ACCOUNT_ID}:{REDIS_GROUP}', Tags=[{'Key': DRILL_TAG, 'Value': 'x'}])
    expect_status(error, 400)
    error = expect_error('TagNotFound', region.elasticache.remove_tags_from_resource, ResourceName=arn, TagKeys=['drsentinel/never-set'])
    expect_status(error, 404)
    tags = tag_dict(region.elasticache.list_tags_for_resource(ResourceName=arn)['TagList'])
    expect(tags == {**OPTED_IN, LEDGER_TAG: 'step-1'}, f'a refused request changed the tags: {tags}')


def a_replica(group):
    return next(m['CacheClusterId'] for m in group['NodeGroups'][0]['NodeGroupMembers'] if m.get('CurrentRole') == 'replica')


def elasticache_promote_replica_refused_while_multi_az(region):
    """AWS's user guide: a replica cannot be promoted to primary while Multi-AZ is enabled."""
    wait_for_redis_available(region)
    group = redis_group(region)
    expect(group['MultiAZ'] == 'enabled', f'MultiAZ is {group["MultiAZ"]}')
    error = expect_error('InvalidParameterCombination', region.elasticache.modify_replication_group,
                         ReplicationGroupId=REDIS_GROUP, PrimaryClusterId=a_replica(group), ApplyImmediately=True)
    expect_status(error, 400)
    expect('Multi-AZ' in error.response['Error'].get('Message', ''), f'the refusal does not name Multi-AZ: {error}')
    after = redis_group(region)
    expect((after['Status'], primary_cluster(after)) == ('available', primary_cluster(group)), f'a refused promotion changed {after["Status"]}, {primary_cluster(after)}')


def elasticache_promote_replica_after_disabling_multi_az(region):
    group = redis_group(region)
    replica = a_replica(group)
    region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, MultiAZEnabled=False, ApplyImmediately=True)
    promoting = region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, PrimaryClusterId=replica, ApplyImmediately=True)['ReplicationGroup']
    expect(promoting['Status'] == 'modifying', f'status is {promoting["Status"]}')

    def promoted():
        group = redis_group(region)
        seen = (group['Status'], primary_cluster(group))
        return seen == ('available', [replica]), seen

    region.wait_until(f'{replica} primary', promoted)
    region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, MultiAZEnabled=True, ApplyImmediately=True)
    expect(redis_group(region)['MultiAZ'] == 'enabled', 'MultiAZ did not come back to enabled')


def elasticache_tags_refused_while_not_available(region):
    """botocore, ListTagsForResource: "If the cluster is not in the available state, ListTagsForResource returns an error"."""
    wait_for_redis_available(region)
    group = redis_group(region)
    replica = a_replica(group)
    region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, MultiAZEnabled=False, ApplyImmediately=True)
    try:
        region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, PrimaryClusterId=replica, ApplyImmediately=True)
        error = expect_error('InvalidReplicationGroupState', region.elasticache.list_tags_for_resource, ResourceName=group['ARN'])
        expect_status(error, 400)
        wait_for_redis_available(region)
        region.elasticache.list_tags_for_resource(ResourceName=group['ARN'])
    finally:
        wait_for_redis_available(region)
        region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, MultiAZEnabled=True, ApplyImmediately=True)


def elasticache_modify_without_apply_immediately_waits(region):
    """botocore, ApplyImmediately (default false): changes wait for the next maintenance reboot; they show as pending."""
    wait_for_redis_available(region)
    answer = region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, MultiAZEnabled=False, AutomaticFailoverEnabled=False)['ReplicationGroup']
    pending = answer.get('PendingModifiedValues', {})
    expect(pending.get('AutomaticFailoverStatus') == 'disabled', f'pending values {pending}')
    expect(redis_group(region)['AutomaticFailover'] == 'enabled', 'a change without ApplyImmediately took effect at once')
    applied = region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, AutomaticFailoverEnabled=True, ApplyImmediately=True)['ReplicationGroup']
    expect(applied.get('PendingModifiedValues', {}) == {}, f'pending values left: {applied.get("PendingModifiedValues")}')


def elasticache_test_failover_refused_without_automatic_failover(region):
    wait_for_redis_available(region)
    region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, MultiAZEnabled=False, AutomaticFailoverEnabled=False, ApplyImmediately=True)
    try:
        error = expect_error('TestFailoverNotAvailableFault', region.elasticache.test_failover,
                             ReplicationGroupId=REDIS_GROUP, NodeGroupId=REDIS_NODE_GROUP)
        expect_status(error, 400)
    finally:
        region.elasticache.modify_replication_group(ReplicationGroupId=REDIS_GROUP, AutomaticFailoverEnabled=True, MultiAZEnabled=True, ApplyImmediately=True)
    group = redis_group(region)
    expect((group['AutomaticFailover'], group['MultiAZ']) == ('enabled', 'enabled'), f'not restored: {group["AutomaticFailover"]}, {group["MultiAZ"]}')


def elasticache_test_failover_daily_quota(region):
    used = region.need('test failovers so far')
    while used < TEST_FAILOVERS_PER_DAY:
        wait_for_redis_available(region)
        region.elasticache.test_failover(ReplicationGroupId=REDIS_GROUP, NodeGroupId=REDIS_NODE_GROUP)
        used += 1
    wait_for_redis_available(region)
    error = expect_error('APICallRateForCustomerExceeded', region.elasticache.test_failover,
                         ReplicationGroupId=REDIS_GROUP, NodeGroupId=REDIS_NODE_GROUP)
    expect_status(error, 400)


# --- Auto Scaling ----------------------------------------------------------------------------------------

def autoscaler_groups(region):
    answer = region.autoscaling.describe_auto_scaling_groups(Filters=[{'Name': 'tag-key', 'Values': [AUTOSCALER_TAG]}])
    return {g['AutoScalingGroupName']: g for g in answer['AutoScalingGroups']}


def primary_scaling_group(region):
    name = region.need('primary node group')
    return region.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])['AutoScalingGroups'][0]


def autoscaling_describe_groups(region):
    groups = autoscaler_groups(region)
    prefixes = sorted(name.split('-')[1] for name in groups)
    expect(prefixes == ['critical', 'primary'], f'groups are {sorted(groups)}')
    for name, group in groups.items():
        for field in ('MinSize', 'MaxSize', 'DesiredCapacity'):
            expect(isinstance(group.get(field), int), f'{name} {field} is {group.get(field)!r}')
        expect(group['MinSize'] <= group['DesiredCapacity'] <= group['MaxSize'],
               f'{name} sizes {group["MinSize"]}/{group["DesiredCapacity"]}/{group["MaxSize"]}')
        expect(group.get('VPCZoneIdentifier', '').startswith('subnet-'), f'{name} VPCZoneIdentifier is {group.get("VPCZoneIdentifier")!r}')
        expect(group.get('AvailabilityZones'), f'{name} has no AvailabilityZones')
        instances = group.get('Instances', [])
        expect(instances, f'{name} has no instances')
        for instance in instances:
            for field in ('InstanceId', 'AvailabilityZone', 'LifecycleState', 'HealthStatus'):
                expect(instance.get(field), f'{name} instance {instance.get("InstanceId")} has no {field}')
        tags = {t['Key']: t for t in group.get('Tags', [])}
        expect(tags.get(AUTOSCALER_TAG, {}).get('Value') == 'true', f'{name} {AUTOSCALER_TAG} tag is {tags.get(AUTOSCALER_TAG)}')
        expect('eks:nodegroup-name' in tags, f'{name} has no eks:nodegroup-name tag; tags are {sorted(tags)}')
        for tag in tags.values():
            expect(tag.get('ResourceId') == name and tag.get('ResourceType') == 'auto-scaling-group',
                   f'{name} tag {tag["Key"]} names resource {tag.get("ResourceType")}/{tag.get("ResourceId")}')
    region.facts['primary node group'] = next(name for name in groups if name.startswith('eks-primary-'))


def autoscaling_desired_above_max_refused(region):
    group = primary_scaling_group(region)
    expect_error('ValidationError', region.autoscaling.set_desired_capacity,
                 AutoScalingGroupName=group['AutoScalingGroupName'], DesiredCapacity=group['MaxSize'] + 1)


def autoscaling_set_desired_capacity(region):
    group = primary_scaling_group(region)
    wanted = group['DesiredCapacity'] + 1
    expect(wanted <= group['MaxSize'], f'no room to grow: desired {group["DesiredCapacity"]}, max {group["MaxSize"]}')
    region.autoscaling.set_desired_capacity(AutoScalingGroupName=group['AutoScalingGroupName'], DesiredCapacity=wanted)
    region.facts['desired capacity change'] = (group['DesiredCapacity'], wanted)
    described = primary_scaling_group(region)['DesiredCapacity']
    expect(described == wanted, f'Describe says DesiredCapacity {described}, expected {wanted}')


def autoscaling_describe_scaling_activities(region):
    old, new = region.need('desired capacity change')
    name = region.need('primary node group')
    activities = region.autoscaling.describe_scaling_activities(AutoScalingGroupName=name)['Activities']
    change = f'from {old} to {new}'
    matching = [a for a in activities if change in a.get('Cause', '')]
    expect(matching, f'no activity whose Cause mentions "{change}"; causes are {[a.get("Cause") for a in activities]}')
    for activity in matching:
        expect(activity.get('ActivityId') and activity.get('StatusCode'), f'activity lacks an id or status: {activity}')
        expect(activity.get('AutoScalingGroupName') == name, f'activity belongs to {activity.get("AutoScalingGroupName")}')
        expect(isinstance(activity.get('StartTime'), datetime.datetime), f'StartTime {activity.get("StartTime")!r} did not parse as a time')


def autoscaling_failed_launch_activity(region):
    """EC2 without capacity in every zone of a group: Failed activities whose StatusMessage is EC2's sentence, desired kept."""
    group = primary_scaling_group(region)
    name, desired = group['AutoScalingGroupName'], group['DesiredCapacity']
    zones = group['AvailabilityZones']
    for zone in zones:
        control(region, 'POST', f'/sandbox/zones/{zone}/capacity/exhaust')
    try:
        region.autoscaling.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=desired + 1)

        def refused():
            failed = [a for a in region.autoscaling.describe_scaling_activities(AutoScalingGroupName=name)['Activities'] if a['StatusCode'] == 'Failed']
            return len(failed) >= len(zones), failed
        failed = region.wait_until('failed launch activities', refused)
        for activity in failed:
            message = activity.get('StatusMessage', '')
            expect(message.startswith('We currently do not have sufficient') and 'capacity in the Availability Zone you requested' in message,
                   f'StatusMessage {message!r}')
            expect(len(message) <= 255, f'StatusMessage is {len(message)} characters; the model allows 255')
            expect(json.loads(activity['Details'])['Availability Zone'] in zones, f'Details {activity["Details"]}')
        expect(primary_scaling_group(region)['DesiredCapacity'] == desired + 1, 'desired capacity changed by a failed launch')
    finally:
        for zone in zones:
            control(region, 'POST', f'/sandbox/zones/{zone}/capacity/restore')
        region.autoscaling.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=desired)


def autoscaling_update_group(region):
    group = primary_scaling_group(region)
    name, max_size = group['AutoScalingGroupName'], group['MaxSize']
    region.autoscaling.update_auto_scaling_group(AutoScalingGroupName=name, MaxSize=max_size + 2)
    described = primary_scaling_group(region)
    expect(described['MaxSize'] == max_size + 2, f'Describe says MaxSize {described["MaxSize"]}, expected {max_size + 2}')
    region.autoscaling.update_auto_scaling_group(AutoScalingGroupName=name, MaxSize=max_size)
    expect(primary_scaling_group(region)['MaxSize'] == max_size, f'MaxSize did not return to {max_size}')


def autoscaling_create_or_update_tags(region):
    name = region.need('primary node group')
    region.autoscaling.create_or_update_tags(Tags=[{
        'ResourceId': name, 'ResourceType': 'auto-scaling-group', 'Key': DRILL_TAG, 'Value': 'boto3', 'PropagateAtLaunch': False}])
    tags = {t['Key']: t for t in primary_scaling_group(region)['Tags']}
    expect(DRILL_TAG in tags, f'tag {DRILL_TAG} missing; tags are {sorted(tags)}')
    expect(tags[DRILL_TAG]['Value'] == 'boto3' and tags[DRILL_TAG]['PropagateAtLaunch'] is False, f'tag reads back as {tags[DRILL_TAG]}')


def autoscaling_describe_tags(region):
    name = region.need('primary node group')
    tags = region.autoscaling.describe_tags(Filters=[{'Name': 'auto-scaling-group', 'Values': [name]}, {'Name': 'key', 'Values': [DRILL_TAG]}])['Tags']
    expect([(t['ResourceId'], t['Key'], t['Value'], t['PropagateAtLaunch']) for t in tags] == [(name, DRILL_TAG, 'boto3', False)],
           f'tags are {tags}')
    autoscaler = region.autoscaling.describe_tags(Filters=[{'Name': 'key', 'Values': [AUTOSCALER_TAG]}])['Tags']
    expect(autoscaler and all(t['Key'] == AUTOSCALER_TAG for t in autoscaler), f'{AUTOSCALER_TAG} tags are {autoscaler}')
    pages = region.autoscaling.get_paginator('describe_tags').paginate(PaginationConfig={'PageSize': 2})
    every = [t for page in pages for t in page['Tags']]
    expect(len(every) == len({(t['ResourceId'], t['Key']) for t in every}) and len(every) > 2, f'paging repeated or lost tags: {len(every)}')


def autoscaling_delete_tags(region):
    name = region.need('primary node group')
    region.autoscaling.delete_tags(Tags=[{'ResourceId': name, 'ResourceType': 'auto-scaling-group', 'Key': DRILL_TAG}])
    keys = [t['Key'] for t in primary_scaling_group(region)['Tags']]
    expect(DRILL_TAG not in keys, f'tag {DRILL_TAG} still there')


def autoscaling_suspend_processes(region):
    name = region.need('primary node group')
    region.autoscaling.suspend_processes(AutoScalingGroupName=name, ScalingProcesses=['AZRebalance'])
    suspended = {p['ProcessName']: p for p in primary_scaling_group(region).get('SuspendedProcesses', [])}
    expect(list(suspended) == ['AZRebalance'], f'suspended processes are {list(suspended)}')
    expect(suspended['AZRebalance'].get('SuspensionReason'), 'AZRebalance has no SuspensionReason')


def autoscaling_resume_processes(region):
    name = region.need('primary node group')
    region.autoscaling.resume_processes(AutoScalingGroupName=name, ScalingProcesses=['AZRebalance'])
    suspended = [p['ProcessName'] for p in primary_scaling_group(region).get('SuspendedProcesses', [])]
    expect(suspended == [], f'still suspended: {suspended}')


# --- EC2 -------------------------------------------------------------------------------------------------

def ec2_describe_subnets(region):
    subnets = region.ec2.describe_subnets()['Subnets']
    zones = {s.get('SubnetId'): s.get('AvailabilityZone') for s in subnets}
    expect(len(zones) == 3, f'subnets are {zones}')
    for subnet, zone in zones.items():
        expect(str(subnet).startswith('subnet-') and str(zone).startswith(REGION), f'subnet {subnet} -> zone {zone}')
    expect(sorted(zones.values()) == [f'{REGION}a', f'{REGION}b', f'{REGION}c'], f'zones are {sorted(zones.values())}')
    region.facts['subnet zones'] = zones


def ec2_describe_subnets_by_id_and_filter(region):
    zones = region.need('subnet zones')
    subnet, zone = sorted(zones.items())[0]
    by_id = region.ec2.describe_subnets(SubnetIds=[subnet])['Subnets']
    expect([s['SubnetId'] for s in by_id] == [subnet], f'SubnetIds=[{subnet}] returned {[s["SubnetId"] for s in by_id]}')
    by_zone = region.ec2.describe_subnets(Filters=[{'Name': 'availability-zone', 'Values': [zone]}])['Subnets']
    expect([s['SubnetId'] for s in by_zone] == [subnet], f'availability-zone={zone} returned {[s["SubnetId"] for s in by_zone]}')


def ec2_describe_availability_zones(region):
    """The account's own name-to-ID map: the same name is a different physical zone in another account, so not the names' order."""
    zones = region.ec2.describe_availability_zones()['AvailabilityZones']
    ids = {z['ZoneName']: z['ZoneId'] for z in zones}
    expect(sorted(ids) == [f'{REGION}a', f'{REGION}b', f'{REGION}c'], f'zones are {sorted(ids)}')
    expect(all(z['State'] == 'available' and z['RegionName'] == REGION and z['ZoneType'] == 'availability-zone'
               and z['OptInStatus'] == 'opt-in-not-required' for z in zones), f'zones {zones}')
    expect(len(set(ids.values())) == 3 and ids != {f'{REGION}{c}': f'euc1-az{i + 1}' for i, c in enumerate('abc')},
           f'expected IDs shuffled against the names: {ids}')
    name, zone_id = sorted(ids.items())[0]
    by_id = region.ec2.describe_availability_zones(ZoneIds=[zone_id])['AvailabilityZones']
    expect([z['ZoneName'] for z in by_id] == [name], f'ZoneIds=[{zone_id}] returned {by_id}')
    by_filter = region.ec2.describe_availability_zones(Filters=[{'Name': 'zone-name', 'Values': [name]}])['AvailabilityZones']
    expect([z['ZoneId'] for z in by_filter] == [zone_id], f'zone-name={name} returned {by_filter}')
    expect_error('InvalidParameterValue', region.ec2.describe_availability_zones, ZoneNames=[f'{REGION}z'])
    subnets = region.ec2.describe_subnets()['Subnets']
    expect(all(s['AvailabilityZoneId'] == ids[s['AvailabilityZone']] for s in subnets),
           f'subnets\' zone IDs {[(s["AvailabilityZone"], s["AvailabilityZoneId"]) for s in subnets]} against {ids}')
    region.facts['zone ids'] = ids


# --- Injected faults -------------------------------------------------------------------------------------

def modeled_error(client, code):
    """What the service's model says of an error code: (HTTP status, sender fault); an unmodeled code is AWS's own failure."""
    for shape in client.meta.service_model.error_shapes:
        error = shape.metadata.get('error', {})
        if error.get('code', shape.name) == code:
            return error.get('httpStatusCode', 400), error.get('senderFault', False)
    return 500, False


def injected_fault(service, operation, params, code):
    """A drill's injected error must reach boto3 as AWS would send it. The call names nothing that exists, so a
    fault that failed to hit changes nothing in the region."""
    def check(region):
        client = getattr(region, service)
        status, sender = modeled_error(client, code)
        control(region, 'POST', '/sandbox/faults', {'service': service, 'operation': operation, 'errorCode': code, 'count': 1})
        try:
            error = expect_error(code, getattr(client, xform_name(operation)), **params)
        finally:
            control(region, 'DELETE', '/sandbox/faults')
        expect_status(error, status)
        fault_type = error.response['Error'].get('Type')
        expect(fault_type == ('Sender' if sender else 'Receiver'), f'error Type is {fault_type}, the model says sender fault {sender}')
    return f'{service}_{operation}_injected_{code}', check


INJECTED_FAULTS = [
    ('elasticache', 'TestFailover', {'ReplicationGroupId': 'no-such-group', 'NodeGroupId': REDIS_NODE_GROUP}, 'TestFailoverNotAvailableFault'),
    ('elasticache', 'TestFailover', {'ReplicationGroupId': 'no-such-group', 'NodeGroupId': REDIS_NODE_GROUP}, 'APICallRateForCustomerExceeded'),
    ('elasticache', 'ModifyReplicationGroup', {'ReplicationGroupId': 'no-such-group', 'ApplyImmediately': True}, 'InvalidReplicationGroupState'),
    ('rds', 'RebootDBInstance', {'DBInstanceIdentifier': 'no-such-db', 'ForceFailover': True}, 'InvalidDBInstanceState'),
    ('rds', 'FailoverDBCluster', {'DBClusterIdentifier': 'no-such-cluster'}, 'InvalidDBClusterStateFault'),
    ('rds', 'DescribeDBInstances', {}, 'DBInstanceNotFound'),
    ('autoscaling', 'SetDesiredCapacity', {'AutoScalingGroupName': 'no-such-group', 'DesiredCapacity': 1}, 'ScalingActivityInProgress'),
    ('autoscaling', 'UpdateAutoScalingGroup', {'AutoScalingGroupName': 'no-such-group'}, 'ResourceContention'),
    # A code no model knows stays AWS's own failure: HTTP 500, Receiver.
    ('rds', 'DescribeDBInstances', {}, 'SandboxUnmodeledFailure'),
]


# --- ARC zonal shift (REST-JSON) ------------------------------------------------------------------------

def zonal_shift_list_managed_resources(region):
    items = {r['arn']: r for r in region.zonal_shift.list_managed_resources()['items']}
    clusters = [arn for arn in items if arn.startswith(f'arn:aws:eks:{REGION}:{ACCOUNT_ID}:cluster/')]
    expect(len(clusters) == 1, f'expected the EKS cluster among the managed resources: {sorted(items)}')
    expect(any(':loadbalancer/net/' in arn for arn in items), f'no load balancer among {sorted(items)}')
    zones = items[clusters[0]]['availabilityZones']
    # ARC names zones by ID (botocore: awayFrom "for example, use1-az1"), the account's own IDs.
    expect(sorted(zones) == sorted(region.need('zone ids').values()), f'cluster zones {zones}, the account\'s IDs {region.need("zone ids")}')
    region.facts['cluster_arn'] = clusters[0]
    region.facts['zones'] = sorted(zones)


def zonal_shift_start_get_update_cancel(region):
    """A shift moves the resource's weight out of one zone until it is cancelled; the ARN travels as an encoded URI label."""
    away, cluster = region.need('zones')[0], region.need('cluster_arn')
    shift = region.zonal_shift.start_zonal_shift(resourceIdentifier=cluster, awayFrom=away, expiresIn='30m', comment='fidelity check')
    expect_status_ok(shift, 201)
    expect(shift['status'] == 'ACTIVE' and shift['awayFrom'] == away, f'started shift {shift}')
    expect(isinstance(shift['startTime'], datetime.datetime), f'startTime not parsed as a time: {shift["startTime"]!r}')
    lasts = shift['expiryTime'] - shift['startTime']
    expect(abs(lasts.total_seconds() - 1800) < 1, f'a 30m shift lasts {lasts}')
    resource = region.zonal_shift.get_managed_resource(resourceIdentifier=cluster)
    expect(resource['appliedWeights'] == {z: (0.0 if z == away else 1.0) for z in region.need('zones')}, f'weights {resource["appliedWeights"]}')
    expect([(z['zonalShiftId'], z['appliedStatus']) for z in resource['zonalShifts']] == [(shift['zonalShiftId'], 'APPLIED')],
           f'shifts in resource {resource["zonalShifts"]}')
    error = expect_error('ConflictException', region.zonal_shift.start_zonal_shift,
                         resourceIdentifier=cluster, awayFrom=away, expiresIn='1h', comment='a second one')
    expect_status(error, 409)
    expect(error.response.get('reason') == 'ZonalShiftAlreadyExists' and error.response.get('zonalShiftId') == shift['zonalShiftId'],
           f'conflict members {error.response}')
    updated = region.zonal_shift.update_zonal_shift(zonalShiftId=shift['zonalShiftId'], expiresIn='2h', comment='extended')
    expect(updated['comment'] == 'extended' and updated['expiryTime'] - shift['startTime'] >= datetime.timedelta(hours=2),
           f'updated shift {updated}')
    active = region.zonal_shift.list_zonal_shifts(status='ACTIVE')['items']
    expect([s['zonalShiftId'] for s in active] == [shift['zonalShiftId']], f'active shifts {active}')
    cancelled = region.zonal_shift.cancel_zonal_shift(zonalShiftId=shift['zonalShiftId'])
    expect(cancelled['status'] == 'CANCELED', f'cancelled shift {cancelled}')
    after = region.zonal_shift.get_managed_resource(resourceIdentifier=cluster)
    expect(set(after['appliedWeights'].values()) == {1.0} and after['zonalShifts'] == [], f'after cancel {after}')
    error = expect_error('ConflictException', region.zonal_shift.cancel_zonal_shift, zonalShiftId=shift['zonalShiftId'])
    expect(error.response.get('reason') == 'ZonalShiftStatusNotActive', f'conflict members {error.response}')


def expect_status_ok(answer, status):
    actual = answer['ResponseMetadata']['HTTPStatusCode']
    expect(actual == status, f'expected HTTP {status}, got {actual}')


def raw_answer(client, operation, **params):
    """The answer's JSON as sent: Debian's botocore predates members ARC has added since (shiftType, autoshifts), and drops them."""
    seen = {}

    def keep(http_response, **_):
        seen['body'] = http_response.content
    event = f'after-call.{client.meta.service_model.service_id.hyphenize()}.{operation}'
    client.meta.events.register(event, keep)
    try:
        getattr(client, xform_name(operation))(**params)
    finally:
        client.meta.events.unregister(event, keep)
    return json.loads(seen['body'])


def zonal_shift_aws_shifts_give_way(region):
    """ARC's precedence: customer shifts > autoshifts > practice runs; a customer's shift interrupts a practice run."""
    cluster, zones = region.need('cluster_arn'), region.need('zones')
    names = {zone_id: name for name, zone_id in region.need('zone ids').items()}
    resource_query = f'resource={urllib.parse.quote(cluster, safe="")}'
    control(region, 'POST', f'/sandbox/zonal-shifts?{resource_query}&zone={names[zones[1]]}&type=PRACTICE_RUN')
    ours = None
    try:
        resource = raw_answer(region.zonal_shift, 'GetManagedResource', resourceIdentifier=cluster)
        [practice] = resource['zonalShifts']
        expect((practice.get('shiftType'), practice['appliedStatus'], practice.get('practiceRunOutcome')) == ('PRACTICE_RUN', 'APPLIED', 'PENDING'),
               f'practice run in resource {practice}')
        expect('status' not in practice, f'a ZonalShiftInResource has no status member: {practice}')
        ours = region.zonal_shift.start_zonal_shift(resourceIdentifier=cluster, awayFrom=zones[0], expiresIn='30m', comment='fidelity: customer shift')
        cancelled = raw_answer(region.zonal_shift, 'ListZonalShifts', status='CANCELED')['items']
        interrupted = [s for s in cancelled if s['zonalShiftId'] == practice['zonalShiftId']]
        expect(interrupted and interrupted[0].get('shiftType') == 'PRACTICE_RUN' and interrupted[0].get('practiceRunOutcome') == 'INTERRUPTED',
               f'the practice run after a customer shift: {interrupted}')
        control(region, 'POST', f'/sandbox/zonal-shifts?{resource_query}&zone={names[zones[2]]}&type=ZONAL_AUTOSHIFT')
        resource = raw_answer(region.zonal_shift, 'GetManagedResource', resourceIdentifier=cluster)
        expect([(a['awayFrom'], a['appliedStatus']) for a in resource.get('autoshifts', [])] == [(zones[2], 'NOT_APPLIED')], f'autoshifts {resource.get("autoshifts")}')
        expect(resource['appliedWeights'][zones[0]] == 0.0 and resource['appliedWeights'][zones[2]] == 1.0, f'weights {resource["appliedWeights"]}')
        region.zonal_shift.cancel_zonal_shift(zonalShiftId=ours['zonalShiftId'])
        ours = None
        resource = raw_answer(region.zonal_shift, 'GetManagedResource', resourceIdentifier=cluster)
        expect([a['appliedStatus'] for a in resource['autoshifts']] == ['APPLIED'] and resource['appliedWeights'][zones[2]] == 0.0,
               f'after the customer shift ends: {resource}')
    finally:
        if ours is not None:
            region.zonal_shift.cancel_zonal_shift(zonalShiftId=ours['zonalShiftId'])
        for shift in region.zonal_shift.list_zonal_shifts(status='ACTIVE')['items']:
            region.zonal_shift.cancel_zonal_shift(zonalShiftId=shift['zonalShiftId'])
        control(region, 'POST', f'/sandbox/zonal-shifts/autoshift/end?{resource_query}')
    expect(set(region.zonal_shift.get_managed_resource(resourceIdentifier=cluster)['appliedWeights'].values()) == {1.0}, 'weights after the autoshift ended')


def zonal_shift_bad_input_refused(region):
    away, cluster = region.need('zones')[0], region.need('cluster_arn')
    for expires_in, reason in (('0m', 'InvalidExpiresIn'), ('73h', 'InvalidExpiresIn'), ('1441m', 'InvalidExpiresIn')):
        error = expect_error('ValidationException', region.zonal_shift.start_zonal_shift,
                             resourceIdentifier=cluster, awayFrom=away, expiresIn=expires_in, comment='bad')
        expect(error.response.get('reason') == reason, f'{expires_in}: {error.response}')
    for zone in ('us-east-1a', f'{REGION}a', 'use1-az1'):  # another region's name, this region's name (not its ID), an ID not here
        error = expect_error('ValidationException', region.zonal_shift.start_zonal_shift,
                             resourceIdentifier=cluster, awayFrom=zone, expiresIn='30m', comment='bad zone')
        expect(error.response.get('reason') == 'InvalidAz', f'{zone}: {error.response}')
    error = expect_error('ResourceNotFoundException', region.zonal_shift.get_managed_resource,
                         resourceIdentifier=f'arn:aws:eks:{REGION}:{ACCOUNT_ID}:cluster/no-such-cluster')
    expect_status(error, 404)
    expect(region.zonal_shift.list_zonal_shifts(status='ACTIVE')['items'] == [], 'a refused start left a shift behind')


def zonal_shift_injected_throttling(region):
    control(region, 'POST', '/sandbox/faults', {'service': 'arc-zonal-shift', 'operation': 'StartZonalShift', 'errorCode': 'ThrottlingException', 'count': 1})
    try:
        error = expect_error('ThrottlingException', region.zonal_shift.start_zonal_shift,
                             resourceIdentifier=region.need('cluster_arn'), awayFrom=region.need('zones')[0], expiresIn='30m', comment='throttled')
    finally:
        control(region, 'DELETE', '/sandbox/faults')
    expect_status(error, 429)


# --- Zones that fail together ----------------------------------------------------------------------------

def rds_no_automatic_failover_into_a_failed_zone(region):
    """When the standby's zone has lost power too, RDS has nowhere to fail over to: the instance stays put."""
    db = db_instances(region)[PRIMARY_DB]
    zone, standby = db['AvailabilityZone'], db['SecondaryAvailabilityZone']
    control(region, 'POST', f'/sandbox/zones/{standby}/fail?mode=hard')
    control(region, 'POST', f'/sandbox/zones/{zone}/fail?mode=hard')
    try:
        # The managed services react when AWS detects the failure, the moment Auto Scaling marks the zone's instances unhealthy.
        def detected():
            health = [i['HealthStatus'] for g in autoscaler_groups(region).values() for i in g['Instances'] if i['AvailabilityZone'] == zone]
            return health and all(h == 'Unhealthy' for h in health), health

        region.wait_until(f'the failure of {zone} detected', detected)
        db = db_instances(region)[PRIMARY_DB]
        seen = (db['DBInstanceStatus'], db['AvailabilityZone'], db.get('SecondaryAvailabilityZone'))
        expect(seen == ('available', zone, standby), f'{PRIMARY_DB} is {seen}, expected it to stay in {zone} with its standby in {standby}')
    finally:
        control(region, 'POST', f'/sandbox/zones/{zone}/recover')
        control(region, 'POST', f'/sandbox/zones/{standby}/recover')


# --- Authentication --------------------------------------------------------------------------------------

# One cheap read per service; the refusal must come before the operation runs.
READS = {
    'rds': ('describe_db_instances', {}),
    'elasticache': ('describe_replication_groups', {}),
    'autoscaling': ('describe_auto_scaling_groups', {}),
    'ec2': ('describe_subnets', {}),
    'arc-zonal-shift': ('list_managed_resources', {}),
}


# EC2 answers an authentication failure with HTTP 401; the Query services with 403.
def auth_status(service):
    return 401 if service == 'ec2' else 403


def refuses_wrong_secret(service, code):
    def check(region):
        client = region.client(service, secret_access_key=SECRET_ACCESS_KEY[::-1])
        operation, params = READS[service]
        error = expect_error(code, getattr(client, operation), **params)
        status = error.response['ResponseMetadata']['HTTPStatusCode']
        expect(status == auth_status(service), f'expected HTTP {auth_status(service)}, got {status}')
    return f'{service}_wrong_secret_refused', check


def refuses_unknown_access_key(service, code):
    def check(region):
        client = region.client(service, access_key_id='AKIAUNKNOWNDRSENTINEL')
        operation, params = READS[service]
        error = expect_error(code, getattr(client, operation), **params)
        status = error.response['ResponseMetadata']['HTTPStatusCode']
        expect(status == auth_status(service), f'expected HTTP {auth_status(service)}, got {status}')
    return f'{service}_unknown_access_key_refused', check


def sts_web_identity_keys_sign_requests(region):
    """IRSA's exchange: a web identity token for temporary keys, which then sign ordinary calls with their session token."""
    sts = region.client('sts')
    answer = sts.assume_role_with_web_identity(
        RoleArn='arn:aws:iam::123456789012:role/drsentinel', RoleSessionName='fidelity-check',
        WebIdentityToken='eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkcnNlbnRpbmVsIn0.c2ln')
    keys = answer['Credentials']
    expect(keys['AccessKeyId'].startswith('ASIA') and keys['SecretAccessKey'] and keys['SessionToken'], f'temporary keys missing: {keys}')
    expect(isinstance(keys['Expiration'], datetime.datetime), f'Expiration not parsed as a time: {keys["Expiration"]!r}')
    expect(answer['AssumedRoleUser']['Arn'].endswith('/drsentinel/fidelity-check'), f'unexpected role user {answer["AssumedRoleUser"]}')
    temporary = boto3.client('rds', endpoint_url=region.endpoint_url, region_name=REGION, aws_access_key_id=keys['AccessKeyId'],
                             aws_secret_access_key=keys['SecretAccessKey'], aws_session_token=keys['SessionToken'],
                             config=Config(retries={'total_max_attempts': 1, 'mode': 'standard'}))
    expect(temporary.describe_db_instances()['DBInstances'], 'no instances with temporary keys')
    forged = boto3.client('rds', endpoint_url=region.endpoint_url, region_name=REGION, aws_access_key_id=keys['AccessKeyId'],
                          aws_secret_access_key=keys['SecretAccessKey'], aws_session_token='forged',
                          config=Config(retries={'total_max_attempts': 1, 'mode': 'standard'}))
    expect_error('InvalidClientTokenId', forged.describe_db_instances)


def iam_simulate_principal_policy(region):
    """IAM is global, signed for us-east-1: the sandbox judges docs/iam-policy.json, and boto3 parses the answer with its model."""
    iam = boto3.client('iam', endpoint_url=region.endpoint_url, region_name='us-east-1', aws_access_key_id=ACCESS_KEY_ID,
                       aws_secret_access_key=SECRET_ACCESS_KEY, config=Config(retries={'total_max_attempts': 1, 'mode': 'standard'}))
    me = region.sts.get_caller_identity()['Arn']
    arn = f'arn:aws:rds:{REGION}:{ACCOUNT_ID}:db:{PRIMARY_DB}'
    answer = iam.simulate_principal_policy(
        PolicySourceArn=me, ActionNames=['rds:RebootDBInstance', 'rds:DescribeDBInstances'], ResourceArns=[arn],
        ContextEntries=[{'ContextKeyName': 'rds:db-tag/drsentinel.io/allowed', 'ContextKeyValues': ['true'], 'ContextKeyType': 'string'}])
    decisions = {r['EvalActionName']: r['EvalDecision'] for r in answer['EvaluationResults']}
    expect(decisions == {'rds:RebootDBInstance': 'allowed', 'rds:DescribeDBInstances': 'allowed'} and answer['IsTruncated'] is False,
           f'a tagged primary: {answer["EvaluationResults"]}')
    untagged = iam.simulate_principal_policy(PolicySourceArn=me, ActionNames=['rds:RebootDBInstance'], ResourceArns=[arn])
    expect(untagged['EvaluationResults'][0]['EvalDecision'] == 'implicitDeny', f'an untagged primary: {untagged["EvaluationResults"]}')
    error = expect_error('NoSuchEntity', iam.simulate_principal_policy, PolicySourceArn='arn:aws:iam::999999999999:role/nobody',
                         ActionNames=['rds:RebootDBInstance'])
    expect_status(error, 404)
    elsewhere = boto3.client('iam', endpoint_url=region.endpoint_url, region_name=REGION, aws_access_key_id=ACCESS_KEY_ID,
                             aws_secret_access_key=SECRET_ACCESS_KEY, config=Config(retries={'total_max_attempts': 1, 'mode': 'standard'}))
    expect_error('SignatureDoesNotMatch', elsewhere.simulate_principal_policy, PolicySourceArn=me, ActionNames=['rds:RebootDBInstance'])


def sts_get_caller_identity(region):
    me = region.sts.get_caller_identity()
    expect(me['Account'] == '123456789012' and me['Arn'].startswith('arn:aws:iam::123456789012:'), f'caller is {me}')
    keys = region.sts.assume_role_with_web_identity(
        RoleArn='arn:aws:iam::123456789012:role/drsentinel', RoleSessionName='who-am-i',
        WebIdentityToken='eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkcnNlbnRpbmVsIn0.c2ln')['Credentials']
    temporary = boto3.client('sts', endpoint_url=region.endpoint_url, region_name=REGION, aws_access_key_id=keys['AccessKeyId'],
                             aws_secret_access_key=keys['SecretAccessKey'], aws_session_token=keys['SessionToken'],
                             config=Config(retries={'total_max_attempts': 1, 'mode': 'standard'}))
    role = temporary.get_caller_identity()
    expect(role['Arn'] == 'arn:aws:sts::123456789012:assumed-role/drsentinel/who-am-i', f'temporary caller is {role}')


def all_checks():
    named = [(f.__name__, f) for f in (
        rds_describe_db_instances,
        rds_describe_db_instances_filtered,
        rds_backups,
        rds_describe_db_clusters,
        rds_failover_unknown_cluster_refused,
        rds_tags,
        rds_tags_of_unknown_or_malformed_arn_refused,
        rds_forced_failover_into_a_failed_zone_stays,
        rds_reboot_with_force_failover,
        rds_failover_swaps_zones,
        rds_ledger_tag_survives_failover,
        rds_promote_read_replica,
        rds_promotion_detaches_replica,
        rds_describe_events_shows_failover,
        rds_describe_events_source_without_type_refused,
        elasticache_describe_replication_groups,
        elasticache_snapshots,
        elasticache_test_failover,
        elasticache_second_test_failover_refused,
        elasticache_test_failover_moves_primary,
        elasticache_describe_events_shows_failover,
        elasticache_describe_cache_clusters,
        elasticache_modify_replication_group,
        elasticache_tags,
        elasticache_tags_of_unknown_or_malformed_arn_refused,
        elasticache_promote_replica_refused_while_multi_az,
        elasticache_promote_replica_after_disabling_multi_az,
        elasticache_tags_refused_while_not_available,
        elasticache_modify_without_apply_immediately_waits,
        elasticache_test_failover_refused_without_automatic_failover,
        elasticache_test_failover_daily_quota,
        autoscaling_describe_groups,
        autoscaling_desired_above_max_refused,
        autoscaling_set_desired_capacity,
        autoscaling_describe_scaling_activities,
        autoscaling_failed_launch_activity,
        autoscaling_update_group,
        autoscaling_create_or_update_tags,
        autoscaling_describe_tags,
        autoscaling_delete_tags,
        autoscaling_suspend_processes,
        autoscaling_resume_processes,
        ec2_describe_subnets,
        ec2_describe_subnets_by_id_and_filter,
        ec2_describe_availability_zones,
        sts_web_identity_keys_sign_requests,
        sts_get_caller_identity,
        iam_simulate_principal_policy,
        zonal_shift_list_managed_resources,
        zonal_shift_start_get_update_cancel,
        zonal_shift_aws_shifts_give_way,
        zonal_shift_bad_input_refused,
        zonal_shift_injected_throttling,
    )]
    # EC2 answers both refusals with AuthFailure; the Query services tell them apart, and the JSON services name them their own way.
    wrong_secret = {'ec2': 'AuthFailure', 'arc-zonal-shift': 'InvalidSignatureException'}
    unknown_key = {'ec2': 'AuthFailure', 'arc-zonal-shift': 'UnrecognizedClientException'}
    named += [refuses_wrong_secret(s, wrong_secret.get(s, 'SignatureDoesNotMatch')) for s in READS]
    named += [refuses_unknown_access_key(s, unknown_key.get(s, 'InvalidClientTokenId')) for s in READS]
    named += [injected_fault(*fault) for fault in INJECTED_FAULTS]
    # Last: it fails two zones at once, and whatever it sets off may still be running when the script ends.
    named.append(('rds_no_automatic_failover_into_a_failed_zone', rds_no_automatic_failover_into_a_failed_zone))
    return named


def describe_failure(error):
    if isinstance(error, AssertionError):
        return str(error)
    if isinstance(error, ClientError):
        details = error.response.get('Error', {})
        return f'unexpected error {details.get("Code")}: {details.get("Message")}'
    # Anything else is usually boto3 failing to parse or reach the sandbox: that is the finding.
    return f'{type(error).__name__}: {error}'


def run(region):
    passed = failed = 0
    for name, check in all_checks():
        try:
            check(region)
        except Exception as error:  # one broken check must not hide the others
            failed += 1
            print(f'FAIL {name}: {describe_failure(error)}', flush=True)
        else:
            passed += 1
            print(f'ok {name}', flush=True)
    print(f'{passed} passed, {failed} failed')
    return failed == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('endpoint_url', help='the sandbox address, e.g. http://127.0.0.1:5000/')
    parser.add_argument('--deadline', type=float, default=20.0, help='seconds to wait for a failover or promotion to finish')
    args = parser.parse_args()
    sys.exit(0 if run(Region(args.endpoint_url, args.deadline)) else 1)


if __name__ == '__main__':
    main()
