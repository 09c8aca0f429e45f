import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { subnetPlan } from "./policies";

export interface EksNetworkArgs {
  readonly clusterName: string;
  readonly vpcCidr: string;
  readonly availabilityZones: number;
  /** "single": one NAT gateway for every AZ (cheap); "perAz": each AZ keeps egress when another fails. */
  readonly natGateways: "single" | "perAz";
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
    { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
    opts,
  );
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
      availabilityZone: zones.names[index]!,
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

  const privateSubnets = plan.private.map((cidrBlock, index) => {
    const subnet = new aws.ec2.Subnet(`${name}-private-${index}`, {
      vpcId: vpc.id,
      cidrBlock,
      availabilityZone: zones.names[index]!,
      tags: { Name: `${name}-private-${index}`, "kubernetes.io/role/internal-elb": "1", ...clusterTag },
    }, opts);
    const nat = natGateways[Math.min(index, natGateways.length - 1)]!;
    const routes = new aws.ec2.RouteTable(`${name}-private-${index}`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
      tags: { Name: `${name}-private-${index}` },
    }, opts);
    new aws.ec2.RouteTableAssociation(`${name}-private-${index}`, { subnetId: subnet.id, routeTableId: routes.id }, opts);
    return subnet;
  });

  return {
    vpc,
    privateSubnetIds: privateSubnets.map((subnet) => subnet.id),
    publicSubnetIds: publicSubnets.map((subnet) => subnet.id),
    natGateways,
  };
}
