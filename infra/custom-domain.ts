/**
 * An optional custom domain for both APIs, so printers keep their URL when the stack is re-created:
 * `domainName` serves the HTTP API, `webSocketDomainName` (default `ws.<domainName>`) the WebSocket
 * API (API Gateway maps WebSocket APIs only on a domain of their own). One regional ACM certificate
 * covers both; it is imported by ARN or issued with DNS validation, in the given Route 53 zone
 * (which also gets alias records) or by records the owner adds by hand while the deploy waits.
 */
import { CfnOutput } from 'aws-cdk-lib';
import {
  ApiMapping,
  DomainName,
  type HttpApi,
  type HttpStage,
  type WebSocketApi,
  type WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate, CertificateValidation, type ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { ARecord, HostedZone, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface CustomDomainOptions {
  /** The HTTP API's host name, e.g. `print.example.com`. */
  domainName: string;
  /** The WebSocket API's host name; default `ws.<domainName>`. */
  webSocketDomainName?: string;
  /** An existing certificate (in the stack's region) covering both names; else one is issued. */
  certificateArn?: string;
  /** A Route 53 zone holding the names: DNS validation and alias records go there. */
  hostedZoneId?: string;
  hostedZoneName?: string;
}

/** The WebSocket API's host name under these options. */
export function webSocketDomainNameOf(options: CustomDomainOptions): string {
  return options.webSocketDomainName ?? `ws.${options.domainName}`;
}

export interface CustomDomainProps extends CustomDomainOptions {
  httpApi: HttpApi;
  httpStage: HttpStage;
  webSocketApi: WebSocketApi;
  webSocketStage: WebSocketStage;
}

export class CustomDomain extends Construct {
  readonly httpDomain: DomainName;
  readonly webSocketDomain: DomainName;
  readonly certificate: ICertificate;
  readonly domainName: string;
  readonly webSocketDomainName: string;

  constructor(scope: Construct, id: string, props: CustomDomainProps) {
    super(scope, id);
    this.domainName = props.domainName;
    this.webSocketDomainName = webSocketDomainNameOf(props);
    if (Boolean(props.hostedZoneId) !== Boolean(props.hostedZoneName)) {
      throw new Error('hostedZoneId and hostedZoneName go together');
    }
    const zone: IHostedZone | undefined =
      props.hostedZoneId && props.hostedZoneName
        ? HostedZone.fromHostedZoneAttributes(this, 'Zone', {
            hostedZoneId: props.hostedZoneId,
            zoneName: props.hostedZoneName,
          })
        : undefined;
    this.certificate = props.certificateArn
      ? Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)
      : new Certificate(this, 'Certificate', {
          domainName: props.domainName,
          subjectAlternativeNames: [this.webSocketDomainName],
          validation: CertificateValidation.fromDns(zone),
        });

    this.httpDomain = new DomainName(this, 'HttpDomain', {
      domainName: props.domainName,
      certificate: this.certificate,
    });
    new ApiMapping(this, 'HttpMapping', {
      api: props.httpApi,
      domainName: this.httpDomain,
      stage: props.httpStage,
    });
    this.webSocketDomain = new DomainName(this, 'WebSocketDomain', {
      domainName: this.webSocketDomainName,
      certificate: this.certificate,
    });
    new ApiMapping(this, 'WebSocketMapping', {
      api: props.webSocketApi,
      domainName: this.webSocketDomain,
      stage: props.webSocketStage,
    });

    for (const [recordId, name, domain] of [
      ['HttpAlias', this.domainName, this.httpDomain],
      ['WebSocketAlias', this.webSocketDomainName, this.webSocketDomain],
    ] as const) {
      if (zone) {
        new ARecord(this, recordId, {
          zone,
          recordName: name,
          target: RecordTarget.fromAlias(
            new ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId),
          ),
        });
      } else {
        new CfnOutput(this, `${recordId}Target`, {
          value: domain.regionalDomainName,
          description: `CNAME ${name} to this`,
        });
      }
    }
  }

  get httpUrl(): string {
    return `https://${this.domainName}`;
  }

  get webSocketUrl(): string {
    return `wss://${this.webSocketDomainName}`;
  }
}
