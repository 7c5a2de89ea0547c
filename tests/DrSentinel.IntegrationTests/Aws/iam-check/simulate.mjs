// Evaluates IAM questions with @cloud-copilot/iam-simulate, an evaluator written apart from DrSentinel.
// stdin: {"policy": <identity policy document>, "questions": [{"action", "resource", "context": {key: value or [values]}}]}
// stdout: one answer per question, in order: {"action", "resource", "result"} where result is the simulator's overall
// result (Allowed, ImplicitlyDenied, ExplicitlyDenied) or "error: ..." when it refused the question itself.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const { policy, questions } = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const answers = []
for (const q of questions) {
  const response = await runSimulation({
    identityPolicies: [{ name: 'drsentinel', policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      principal: 'arn:aws:iam::123456789012:role/drsentinel',
      action: q.action,
      resource: { resource: q.resource, accountId: '123456789012' },
      contextVariables: q.context ?? {},
    },
  }, {})
  const result = response.resultType === 'error' ? `error: ${JSON.stringify(response.errors)}` : response.overallResult
  answers.push({ action: q.action, resource: q.resource, result })
}
process.stdout.write(JSON.stringify(answers) + '\n')
