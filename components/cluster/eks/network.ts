import * as aws from "./aws-services";
import * as pulumi from "@pulumi/pulumi";
import { eksUnsupportedZoneIds, pickZones, subnetPlan, type ZoneNeeds } from "./policies";

export interface EksNetworkArgs {
  readonly clusterName: string;
  readonly vpcCidr: string;
  readonly availabilityZones: number;
  /** "single": one NAT gateway for every AZ (cheap); "perAz": each AZ keeps egress when another fails. */
  readonly natGateways: "single" | "perAz";
  readonly region: string;
  /** The partition's reverse DNS prefix ("com.amazonaws", "cn.com.amazonaws"), for endpoint service names. */
  readonly reverseDnsPrefix: pulumi.Input<string>;
  /** Each node pool's instance types: the VPC only uses zones that offer one of every pool's. */
  readonly pools: ZoneNeeds["pools"];
}

export interface EksNetwork {
  readonly vpc: aws.ec2.Vpc;
  readonly privateSubnetIds: pulumi.Output<string>[];
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly natGateways: aws.ec2.NatGateway[];
}

/**
 * A VPC over N AZs: private subnets for nodes and the control plane's ENIs, public subnets only for
 * load balancers and NAT. The subnet tags are what the AWS load balancer integrations look for.
 */
export function createNetwork(name: string, args: EksNetworkArgs, opts: { parent: pulumi.Resource; provider: aws.Provider }): EksNetwork {
  const plan = subnetPlan(args.vpcCidr, args.availabilityZones);
  const zones = aws.getAvailabilityZonesOutput(
    { state: "available", excludeZoneIds: [...eksUnsupportedZoneIds], filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
    opts,
  );
  const offerings = aws.ec2.getInstanceTypeOfferingsOutput({
    locationType: "availability-zone",
    filters: [{ name: "instance-type", values: [...new Set(args.pools.flatMap((pool) => pool.instanceTypes))] }],
  }, opts);
  // A GPU type is often offered in only some zones of a region; a subnet where no type of a pool exists
  // would leave that pool's launches failing there.
  const zoneNames = pulumi.all([zones.names, offerings]).apply(([names, found]) => pickZones(
    names,
    found.instanceTypes.map((instanceType, index) => ({ instanceType, zone: found.locations[index]! })),
    { pools: args.pools, count: args.availabilityZones, region: args.region },
  ));
  const clusterTag = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };

  const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
    cidrBlock: args.vpcCidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: { Name: `${name}-vpc` },
  }, opts);
  const internetGateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: `${name}-igw` } }, opts);

  const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, {
    vpcId: vpc.id,
    routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id }],
    tags: { Name: `${name}-public` },
  }, opts);

  const publicSubnets = plan.public.map((cidrBlock, index) => {
    const subnet = new aws.ec2.Subnet(`${name}-public-${index}`, {
      vpcId: vpc.id,
      cidrBlock,
      availabilityZone: zoneNames[index]!,
      // Load balancers get public addresses; nothing else lives here, so instances never do.
      mapPublicIpOnLaunch: false,
      tags: { Name: `${name}-public-${index}`, "kubernetes.io/role/elb": "1", ...clusterTag },
    }, opts);
    new aws.ec2.RouteTableAssociation(`${name}-public-${index}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, opts);
    return subnet;
  });

  const natCount = args.natGateways === "perAz" ? args.availabilityZones : 1;
  const natGateways = publicSubnets.slice(0, natCount).map((subnet, index) => {
    const address = new aws.ec2.Eip(`${name}-nat-${index}`, { domain: "vpc", tags: { Name: `${name}-nat-${index}` } }, opts);
    return new aws.ec2.NatGateway(`${name}-nat-${index}`, {
      allocationId: address.id,
      subnetId: subnet.id,
      tags: { Name: `${name}-nat-${index}` },
    }, { ...opts, dependsOn: [internetGateway] });
  });

  const privateRouteTables: aws.ec2.RouteTable[] = [];
  const privateSubnets = plan.private.map((cidrBlock, index) => {
    const subnet = new aws.ec2.Subnet(`${name}-private-${index}`, {
      vpcId: vpc.id,
      cidrBlock,
      availabilityZone: zoneNames[index]!,
      tags: { Name: `${name}-private-${index}`, "kubernetes.io/role/internal-elb": "1", ...clusterTag },
    }, opts);
    const nat = natGateways[Math.min(index, natGateways.length - 1)]!;
    const routes = new aws.ec2.RouteTable(`${name}-private-${index}`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
      tags: { Name: `${name}-private-${index}` },
    }, opts);
    new aws.ec2.RouteTableAssociation(`${name}-private-${index}`, { subnetId: subnet.id, routeTableId: routes.id }, opts);
    privateRouteTables.push(routes);
    return subnet;
  });

  // Model weights and pipeline artifacts reach S3 through the VPC's route tables, not the NAT gateway,
  // which bills per GB processed.
  new aws.ec2.VpcEndpoint(`${name}-s3`, {
    vpcId: vpc.id,
    serviceName: pulumi.interpolate`${args.reverseDnsPrefix}.${args.region}.s3`,
    vpcEndpointType: "Gateway",
    routeTableIds: privateRouteTables.map((table) => table.id),
    tags: { Name: `${name}-s3` },
  }, opts);

  return {
    vpc,
    privateSubnetIds: privateSubnets.map((subnet) => subnet.id),
    publicSubnetIds: publicSubnets.map((subnet) => subnet.id),
    natGateways,
  };
}
