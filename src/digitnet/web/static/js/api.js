// The JSON API (docs/api.md): every error arrives as {"error": "one sentence"}.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The checked response of one request: an ApiError with the server's one sentence unless OK.
export async function request(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new ApiError(0, "the digitnet server does not answer; is `digitnet serve` still running?");
  }
  if (!response.ok) {
    let message = `the server answered ${response.status}`;
    try {
      const data = await response.json();
      if (data && data.error) message = data.error;
    } catch (err) {
      /* not JSON */
    }
    throw new ApiError(response.status, message);
  }
  return response;
}

// One request's JSON answer (null if it has none).
async function call(method, path, body) {
  const response = await request(method, path, body);
  try {
    return await response.json();
  } catch (err) {
    return null;
  }
}

export const api = {
  models: () => call("GET", "/api/models"),
  layout: (name) => call("GET", `/api/models/${encodeURIComponent(name)}`),
  options: () => call("GET", "/api/options"),
  predict: (body) => call("POST", "/api/predict", body),
  read: (body) => call("POST", "/api/read", body),
  neuron: (model, layer, index, input) =>
    call("POST", `/api/models/${encodeURIComponent(model)}/neurons/${layer}/${index}`,
      input ? { input } : {}),
  features: (model, layer, index) =>
    call("GET", `/api/models/${encodeURIComponent(model)}/neurons/${layer}/${index}/features`),
  randomExample: () => call("GET", "/api/examples/random"),
  example: (index) => call("GET", `/api/examples/${index}`),
  mistakes: (model, offset, limit) =>
    call("GET", `/api/examples/mistakes?model=${encodeURIComponent(model)}&offset=${offset}&limit=${limit}`),
  runs: () => call("GET", "/api/runs"),
  startRun: (settings) => call("POST", "/api/runs", settings),
  stopRun: (id) => call("POST", `/api/runs/${id}/stop`),
  cancelRun: (id) => call("POST", `/api/runs/${id}/cancel`),
  saveRun: (id, name) => call("POST", `/api/runs/${id}/save`, { name }),
  fool: (body) => call("POST", "/api/fool", body),
  replay: (model, body) => call("POST", `/api/models/${encodeURIComponent(model)}/replay`, body),
  embedding: (model) => call("GET", `/api/models/${encodeURIComponent(model)}/embedding`),
};
